module github.com/fabric-tradefin/ccaas-builder

go 1.22
