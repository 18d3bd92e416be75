// Measures one ONNX Runtime configuration the way `kiln bench --json` measures
// Kiln, and prints one JSON object with the same fields. Run it in a fresh
// node process per configuration so that the peak RSS belongs to that one.
//
//   node bench/ort_bench.js MODEL.onnx --ort DIR/node_modules/onnxruntime-node
//        [--batch B] [--threads T] [--iterations K] [--warmup W] [--dim NAME=VALUE ...]
//        [--no-spin] [--profile]
//
// --profile turns on ORT's own profiler (enableProfiling) and adds the
// object `profile` that `kiln bench --profile --json` prints: each node's
// median time over the measured runs (ORT's node names and its fused
// operators), and the totals per operator type — to compare the two engines
// layer by layer (docs/performance.md, section 1). Profiling costs ORT about
// 1% of its run time.
//
// --no-spin sets session.intra_op.allow_spinning = 0: ORT's idle pool threads
// then sleep at once instead of spinning (ORT's default is to spin; Kiln's
// workers spin about 0.2 ms, see docs/engine.md, Threads).
//
// Inputs follow `kiln bench`: the first dynamic dimension is the batch, named
// dynamic dimensions come from --dim, other dynamic ones are 1. Floats are
// uniform in [-1, 1) (seeded), integer inputs are zeros, except inputs whose
// name contains "mask", which are ones (an all-attended attention mask).
'use strict';

function parseArgs(argv) {
  const args = { batch: 1, threads: 1, iterations: 100, warmup: 10, dims: {}, model: null, ort: 'onnxruntime-node', spin: true, profile: false };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--batch') args.batch = parseInt(next(), 10);
    else if (a === '--threads') args.threads = parseInt(next(), 10);
    else if (a === '--iterations') args.iterations = parseInt(next(), 10);
    else if (a === '--warmup') args.warmup = parseInt(next(), 10);
    else if (a === '--ort') args.ort = next();
    else if (a === '--no-spin') args.spin = false;
    else if (a === '--profile') args.profile = true;
    else if (a === '--dim') {
      const [name, value] = next().split('=');
      if (!name || value === undefined || !/^\d+$/.test(value)) throw new Error(`--dim expects NAME=VALUE`);
      args.dims[name] = parseInt(value, 10);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (args.model === null) args.model = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.model) throw new Error('missing MODEL.onnx');
  for (const k of ['batch', 'threads', 'iterations']) {
    if (!(args[k] >= 1)) throw new Error(`--${k} must be at least 1`);
  }
  if (!(args.warmup >= 0)) throw new Error('--warmup must be at least 0');
  return args;
}

// Small seeded generator (mulberry32) so that every run feeds the same data.
function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeFeed(ort, meta, args, rng) {
  let batchUsed = false;
  const shape = meta.shape.map((d) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (typeof d === 'string' && d in args.dims) return args.dims[d];
    if (!batchUsed) {
      batchUsed = true;
      return args.batch;
    }
    return 1;
  });
  const n = shape.reduce((x, y) => x * y, 1);
  switch (meta.type) {
    case 'float32': {
      const data = new Float32Array(n);
      for (let i = 0; i < n; ++i) data[i] = rng() * 2 - 1;
      return new ort.Tensor('float32', data, shape);
    }
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n).fill(/mask/i.test(meta.name) ? 1n : 0n), shape);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n).fill(/mask/i.test(meta.name) ? 1 : 0), shape);
    default:
      throw new Error(`input '${meta.name}' has type ${meta.type}, which this benchmark does not generate`);
  }
}

function percentile(sorted, p) {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// Per-node medians (ms) of the last `runs` runs in ORT's profile file, in
// the shape of `kiln bench --profile --json`.
function summarizeProfile(file, runs) {
  const events = JSON.parse(require('fs').readFileSync(file, 'utf8'));
  const byNode = new Map();  // name -> {op, durations}, in first-seen (execution) order
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!byNode.has(name)) byNode.set(name, { op: (e.args && e.args.op_name) || '?', durations: [] });
    byNode.get(name).durations.push(e.dur / 1000);  // µs -> ms
  }
  const median = (xs) => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length ? s[Math.floor(s.length / 2)] : 0;
  };
  const nodes = [...byNode].map(([name, n]) => ({ name, op: n.op, median_ms: median(n.durations.slice(-runs)) }));
  const total = nodes.reduce((t, n) => t + n.median_ms, 0);
  const ops = new Map();
  for (const n of nodes) {
    const o = ops.get(n.op) || { op: n.op, nodes: 0, median_ms: 0 };
    o.nodes += 1;
    o.median_ms += n.median_ms;
    ops.set(n.op, o);
  }
  const operators = [...ops.values()]
    .map((o) => ({ ...o, share: total > 0 ? o.median_ms / total : 0 }))
    .sort((x, y) => y.median_ms - x.median_ms);
  return { runs, nodes, operators };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require(args.ort);
  const os = require('os');
  const path = require('path');
  const fs = require('fs');
  const profileDir = args.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'ort_profile_')) : null;
  const profilePrefix = profileDir ? path.join(profileDir, 'ort') : undefined;
  const loadStart = nowMs();
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    executionProviders: ['cpu'],
    ...(args.spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    ...(args.profile ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  });
  const loadMs = nowMs() - loadStart;

  const rng = makeRng(42);
  const feeds = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) throw new Error(`input '${meta.name}' is not a tensor`);
    feeds[meta.name] = makeFeed(ort, meta, args, rng);
  }

  const latencies = [];
  let benchStart = nowMs();
  for (let i = 0; i < args.warmup + args.iterations; ++i) {
    if (i === args.warmup) benchStart = nowMs();
    const start = nowMs();
    await session.run(feeds);
    const ms = nowMs() - start;
    if (i >= args.warmup) latencies.push(ms);
  }
  const wallMs = nowMs() - benchStart;
  latencies.sort((x, y) => x - y);
  let profile;
  if (profileDir) {
    session.endProfiling();
    const file = fs.readdirSync(profileDir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('ORT wrote no profile file');
    profile = summarizeProfile(path.join(profileDir, file), args.iterations);
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  const round3 = (x) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      model: args.model,
      engine: `onnxruntime-node ${require(`${args.ort}/package.json`).version}`,
      load_ms: round3(loadMs),
      latency_ms: {
        min: round3(latencies[0]),
        p50: round3(percentile(latencies, 50)),
        p90: round3(percentile(latencies, 90)),
        p99: round3(percentile(latencies, 99)),
        max: round3(latencies[latencies.length - 1]),
      },
      throughput: round3((args.batch * args.iterations) / (wallMs / 1000)),
      peak_rss_mb: round3(process.resourceUsage().maxRSS / 1024), // maxRSS is in KiB
      batch: args.batch,
      threads: args.threads,
      spinning: args.spin,
      iterations: args.iterations,
      ...(profile ? { profile } : {}),
    }),
  );
  await session.release();
}

main().catch((err) => {
  console.error(`ort_bench: ${err.message}`);
  process.exit(1);
});
