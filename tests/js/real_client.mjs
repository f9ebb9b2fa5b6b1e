#!/usr/bin/env node
// A real client against the node: @polkadot/api connects over WebSocket and reads the
// runtime version, the metadata, the genesis hash and one account's balance; optionally it
// signs a balance transfer, submits it and watches it into a block. It prints a JSON summary
// on stdout and exits non-zero if anything differs from what was expected.
//
// Usage: node real_client.mjs --url ws://127.0.0.1:PORT [--spec-name westend]
//          [--spec-version 1] [--genesis 0x..] [--metadata-version 14]
//          [--account ADDRESS --free DECIMAL]
//          [--transfer-from //Alice --transfer-to ADDRESS --amount DECIMAL]
//          [--timeout-ms 60000]
// Every option may also come from the environment: --spec-name is REAL_CLIENT_SPEC_NAME etc.
// Options left out are read and reported but not checked.
//
// Exit codes: 0 everything matched; 1 a mismatch or an error; 2 bad usage.

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';

const OPTIONS = [
  'url', 'spec-name', 'spec-version', 'genesis', 'metadata-version', 'account', 'free',
  'transfer-from', 'transfer-to', 'amount', 'timeout-ms'
];

function parseArgs (argv) {
  const opts = {};
  for (const name of OPTIONS) {
    const env = process.env[`REAL_CLIENT_${name.toUpperCase().replace(/-/g, '_')}`];
    if (env !== undefined && env !== '') opts[name] = env;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) usage(`unexpected argument ${arg}`);
    let [name, value] = arg.slice(2).split(/=(.*)/s, 2);
    if (!OPTIONS.includes(name)) usage(`unknown option --${name}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) usage(`--${name} needs a value`);
      value = argv[++i];
    }
    opts[name] = value;
  }
  if (!opts.url) usage('--url (or REAL_CLIENT_URL) is required');
  if (opts.free !== undefined && opts.account === undefined) {
    usage('--free needs --account');
  }
  const transfer = ['transfer-from', 'transfer-to', 'amount'].filter((name) => opts[name] !== undefined);
  if (transfer.length !== 0 && transfer.length !== 3) {
    usage('--transfer-from, --transfer-to and --amount go together');
  }
  return opts;
}

function usage (message) {
  process.stderr.write(`real_client: ${message}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const timeoutMs = Number(opts['timeout-ms'] ?? 60000);

const summary = {
  url: opts.url,
  apiVersion: null,
  ok: false,
  mismatches: [],
  error: null,
  // Every RPC method the API sent, in order of first use, and those the node refused.
  rpcCalls: [],
  rpcErrors: {}
};

function check (what, actual, expected) {
  if (expected === undefined) return;
  if (String(actual) !== String(expected)) {
    summary.mismatches.push({ what, expected: String(expected), actual: String(actual) });
  }
}

// Record what the API asks of the node (sends and subscriptions both go through send()).
const provider = new WsProvider(opts.url, false);
const send = provider.send.bind(provider);
provider.send = async (method, params, ...rest) => {
  if (!summary.rpcCalls.includes(method)) summary.rpcCalls.push(method);
  try {
    return await send(method, params, ...rest);
  } catch (error) {
    summary.rpcErrors[method] ??= String(error?.message ?? error);
    throw error;
  }
};

let api;
const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);

let finished = false;

async function finish (error) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (error) summary.error = String(error?.stack ?? error);
  summary.ok = !summary.error && summary.mismatches.length === 0;
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  // Don't let a disconnect that hangs keep the process (and the test) alive.
  const exit = () => process.exit(summary.ok ? 0 : 1);
  setTimeout(exit, 2000).unref();
  try {
    if (api) await api.disconnect(); else await provider.disconnect();
  } catch {}
  exit();
}

async function main () {
  const { packageInfo } = await import('@polkadot/api/packageInfo');
  summary.apiVersion = packageInfo.version;

  // Fail at once instead of retrying forever if the node can't be reached.
  await new Promise((resolve, reject) => {
    provider.on('connected', resolve);
    provider.on('error', (error) => reject(new Error(
      `cannot connect to ${opts.url}: ${error?.message ?? error?.error?.message ?? error?.type ?? error}`)));
    provider.connect().catch(reject);
  });

  api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });

  const version = api.runtimeVersion;
  summary.runtimeVersion = {
    specName: version.specName.toString(),
    implName: version.implName.toString(),
    specVersion: version.specVersion.toNumber(),
    transactionVersion: version.transactionVersion.toNumber()
  };
  check('specName', summary.runtimeVersion.specName, opts['spec-name']);
  check('specVersion', summary.runtimeVersion.specVersion, opts['spec-version']);

  summary.metadataVersion = api.runtimeMetadata.version;
  summary.pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  check('metadataVersion', summary.metadataVersion, opts['metadata-version']);

  summary.genesisHash = api.genesisHash.toHex();
  check('genesisHash', summary.genesisHash, opts.genesis);
  summary.chain = (await api.rpc.system.chain()).toString();

  if (opts.account) {
    const balance = {
      account: opts.account,
      address: api.createType('AccountId', opts.account).toString()
    };
    if (api.query.system?.account) {
      const info = await api.query.system.account(opts.account);
      balance.via = 'system.account';
      balance.free = info.data.free.toString();
      balance.nonce = info.nonce.toNumber();
      balance.info = info.toJSON();
    } else if (api.query.balances?.freeBalance) {
      balance.via = 'balances.freeBalance';
      balance.free = (await api.query.balances.freeBalance(opts.account)).toString();
    } else {
      throw new Error('the metadata has neither system.account nor balances.freeBalance');
    }
    summary.balance = balance;
    check('free balance', balance.free, opts.free);
  }

  if (opts['transfer-from']) await transfer();
}

// Signs a transfer with the key of a secret URI (e.g. //Alice), submits and watches it until
// it is finalized, and checks that the recipient's balance grew by the amount.
async function transfer () {
  const from = new Keyring({ type: 'sr25519' }).addFromUri(opts['transfer-from']);
  const to = opts['transfer-to'];
  const amount = BigInt(opts.amount);
  const free = async (who) => (await api.query.system.account(who)).data.free.toBigInt();
  const balances = api.tx.balances;
  const call = ['transferKeepAlive', 'transferAllowDeath', 'transfer'].find((name) => balances?.[name]);
  if (!call) throw new Error('the metadata has no balances transfer call');
  const report = { from: from.address, to, call, statuses: [] };
  summary.transfer = report;
  report.before = (await free(to)).toString();
  report.nonceBefore = (await api.query.system.account(from.address)).nonce.toNumber();
  await new Promise((resolve, reject) => {
    balances[call](to, amount)
      .signAndSend(from, (result) => {
        report.statuses.push(result.status.type);
        if (result.status.isFinalized) {
          report.block = result.status.asFinalized.toHex();
          resolve();
        } else if (result.isError) {
          reject(new Error(`the transfer ended ${result.status.type}`));
        }
      })
      .catch(reject);
  });
  report.after = (await free(to)).toString();
  report.nonceAfter = (await api.query.system.account(from.address)).nonce.toNumber();
  check('recipient balance after the transfer', report.after, (BigInt(report.before) + amount).toString());
  check('sender nonce after the transfer', report.nonceAfter, report.nonceBefore + 1);
}

main().then(() => finish(), finish);
