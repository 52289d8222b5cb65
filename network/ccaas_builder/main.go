// Command ccaas-builder is fabric-tradefin's external builder for chaincode-as-a-service packages.
//
// The peer runs it three times at install time, under the names detect, build and release
// (one binary, dispatched on its own name):
//
//	detect  SOURCE METADATA          exit 0 when metadata.json says type "ccaas"
//	build   SOURCE METADATA OUTPUT   render SOURCE/connection.json into OUTPUT
//	release OUTPUT RELEASE           publish RELEASE/chaincode/server/connection.json
//
// Every string field of connection.json may be a Go text/template evaluated against the JSON object
// in CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG (the peer passes it through propagateEnvironment), so one
// package (one package id) can point each bank's peer at that bank's own chaincode server.
// The contract is the one the peer's stock ccaas builder honours, so packages work with either.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

const builderConfigEnv = "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	var err error
	switch name {
	case "detect":
		err = detect(args)
	case "build":
		err = build(args)
	case "release":
		err = release(args)
	default:
		err = fmt.Errorf("invoked as %q: expected detect, build or release", name)
	}
	if err != nil {
		var notCCaaS errNotCCaaS
		if errors.As(err, &notCCaaS) {
			os.Exit(1) // detect: not ours, quietly
		}
		fmt.Fprintf(os.Stderr, "ccaas %s: %v\n", name, err)
		os.Exit(2)
	}
}

type errNotCCaaS struct{ kind string }

func (e errNotCCaaS) Error() string { return fmt.Sprintf("package type %q is not ccaas", e.kind) }

type packageMetadata struct {
	Type  string `json:"type"`
	Label string `json:"label"`
}

func readMetadata(dir string) (packageMetadata, error) {
	var meta packageMetadata
	raw, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		return meta, err
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, fmt.Errorf("metadata.json: %w", err)
	}
	if !strings.EqualFold(meta.Type, "ccaas") {
		return meta, errNotCCaaS{meta.Type}
	}
	return meta, nil
}

func detect(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: detect SOURCE METADATA")
	}
	_, err := readMetadata(args[1])
	return err
}

// connection mirrors connection.json; unknown fields are refused so typos surface at install time.
type connection struct {
	Address            string `json:"address"`
	DialTimeout        string `json:"dial_timeout"`
	TLSRequired        bool   `json:"tls_required"`
	ClientAuthRequired bool   `json:"client_auth_required"`
	ClientKey          string `json:"client_key"`
	ClientCert         string `json:"client_cert"`
	RootCert           string `json:"root_cert"`
	Domain             string `json:"domain,omitempty"`
}

func build(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: build SOURCE METADATA OUTPUT")
	}
	source, metadata, output := args[0], args[1], args[2]
	if _, err := readMetadata(metadata); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(source, "connection.json"))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var conn connection
	if err := dec.Decode(&conn); err != nil {
		return fmt.Errorf("connection.json: %w", err)
	}
	data := map[string]any{}
	if cfg := os.Getenv(builderConfigEnv); cfg != "" {
		if err := json.Unmarshal([]byte(cfg), &data); err != nil {
			return fmt.Errorf("%s: %w", builderConfigEnv, err)
		}
	}
	for _, field := range []*string{&conn.Address, &conn.DialTimeout, &conn.ClientKey, &conn.ClientCert, &conn.RootCert, &conn.Domain} {
		if *field, err = render(*field, data); err != nil {
			return err
		}
	}
	if conn.Address == "" {
		return errors.New("connection.json: address is empty")
	}
	if conn.TLSRequired && conn.RootCert == "" {
		return errors.New("connection.json: tls_required needs root_cert")
	}
	out, err := json.Marshal(conn)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(output, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(output, "connection.json"), out, 0o600); err != nil {
		return err
	}
	return copyTree(filepath.Join(source, "META-INF"), filepath.Join(output, "META-INF"))
}

func render(text string, data map[string]any) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	tmpl, err := template.New("field").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", text, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("template %q with %s: %w", text, builderConfigEnv, err)
	}
	return buf.String(), nil
}

func release(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: release OUTPUT RELEASE")
	}
	output, rel := args[0], args[1]
	serverDir := filepath.Join(rel, "chaincode", "server")
	if err := os.MkdirAll(serverDir, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(output, "connection.json"), filepath.Join(serverDir, "connection.json")); err != nil {
		return err
	}
	return copyTree(filepath.Join(output, "META-INF", "statedb"), filepath.Join(rel, "statedb"))
}

// copyTree copies regular files and directories from src to dst; a missing src is not an error.
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return fmt.Errorf("%s: only regular files and directories are allowed", path)
		}
	})
}

// copyFile copies src to dst with src's permission bits: connection.json may hold the peer's TLS
// client key and is written 0600 by build, so release must not widen it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if err := out.Chmod(info.Mode().Perm()); err != nil { // an existing dst keeps its mode on open
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
