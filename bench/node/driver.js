'use strict';
// Load driver for the official Node Fabric Gateway client (@hyperledger/fabric-gateway), run by
// bench/gateway.py in a process of its own. It reads one JSON config (argv[2]), drives the same phases
// as the Python worker of bench/gateway.py -- warm-up submits, an evaluate phase, a submit phase, each
// with `concurrency` calls in flight in a closed loop -- and prints one JSON line with its measurements.
// CPU is this process's own (process.cpuUsage: user + system, every thread), over the submit phase.

const fs = require('node:fs');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

function deadline(seconds) {
    return () => ({ deadline: Date.now() + seconds * 1000 });
}

function nowSeconds() {
    return Number(process.hrtime.bigint()) / 1e9;
}

// Run `call(workerId, sequence)` with `concurrency` calls in flight until `seconds` have passed.
async function closedLoop(concurrency, seconds, call) {
    const stopAt = nowSeconds() + seconds;
    const latencies = [];
    const errors = {};
    let sequence = 0;
    async function worker(workerId) {
        while (nowSeconds() < stopAt) {
            sequence += 1;
            const started = nowSeconds();
            try {
                await call(workerId, sequence);
                latencies.push(nowSeconds() - started);
            } catch (error) {
                const name = (error && error.constructor && error.constructor.name) || 'Error';
                errors[name] = (errors[name] || 0) + 1;
            }
        }
    }
    const started = nowSeconds();
    await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
    return { latencies, errors, elapsed: nowSeconds() - started };
}

async function main() {
    const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    const client = new grpc.Client(
        config.address,
        grpc.credentials.createSsl(fs.readFileSync(config.tls_ca)),
        { 'grpc.ssl_target_name_override': config.server_name },
    );
    const gateway = connect({
        client,
        identity: { mspId: config.msp_id, credentials: fs.readFileSync(config.certificate) },
        signer: signers.newPrivateKeySigner(crypto.createPrivateKey(fs.readFileSync(config.private_key))),
        hash: hash.sha256,
        evaluateOptions: deadline(5),
        endorseOptions: deadline(15),
        submitOptions: deadline(5),
        commitStatusOptions: deadline(60),
    });
    try {
        const contract = gateway.getNetwork(config.channel).getContract(config.chaincode);
        const value = config.value;
        // contract.submit: endorse, submit, then wait for the commit status (throws unless VALID).
        const call = (workerId, sequence) => contract.submit('kv:Put', {
            arguments: [`${config.key_prefix}-${workerId}-${sequence}`, value],
            endorsingOrganizations: config.endorsing_orgs,
        });

        await closedLoop(config.concurrency, config.warmup_seconds, (w, s) => call(w, `warm-${s}`));
        const evaluated = await closedLoop(
            config.concurrency, config.evaluate_seconds,
            () => contract.evaluateTransaction('kv:Get', config.evaluate_key),
        );
        const cpuBefore = process.cpuUsage();
        const submitted = await closedLoop(config.concurrency, config.submit_seconds, call);
        const cpu = process.cpuUsage(cpuBefore);
        process.stdout.write(JSON.stringify({
            client: `node @hyperledger/fabric-gateway ${require('@hyperledger/fabric-gateway/package.json').version}`,
            evaluate_latencies: evaluated.latencies,
            evaluate_errors: evaluated.errors,
            submit_latencies: submitted.latencies,
            submit_errors: submitted.errors,
            submit_elapsed: submitted.elapsed,
            cpu_seconds: (cpu.user + cpu.system) / 1e6,
        }) + '\n');
    } finally {
        gateway.close();
        client.close();
    }
}

main().catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
});
