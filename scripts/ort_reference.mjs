#!/usr/bin/env node
// Reference outputs from ONNX Runtime (CPU), to check nestrt-convert's float path against.
//
// Runs an ONNX model on every sample of an .npy array, one sample at a time (batch 1), and writes
// the outputs as a float32 .npy of shape [N, ...output dims without the batch dim] (for a
// classifier: [N, classes]).
//
// Input .npy (format versions 1-3, C order):
//   float32/float64 [N,C,H,W] or [C,H,W]: fed as is (already preprocessed).
//   uint8 pixels [N,C,H,W] or [C,H,W]: normalised like nestrt-convert / nestrt's SampleSource:
//     x = (pixel * scale - mean[c]) / std[c], and with --color bgr the channel order is reversed
//     (the .npy planes are RGB, the model is fed BGR), exactly as the converter's --color bgr does.
//
// Setup (once; ONNX Runtime's CPU binaries come inside the npm package, node_modules/ is git-ignored):
//   npm ci --prefix scripts/ort
// Example (PaddleOCR orientation classifier on scripts/make_text_crops.py's crops):
//   node scripts/ort_reference.mjs --model build/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx \
//     --input build/ocr/textcrops/crops_u8.npy --scale 1/255 --mean 0.5 --std 0.5 --color bgr \
//     --labels build/ocr/textcrops/labels.txt --output build/ocr/textcrops/ort_fp32.npy
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const ortDir = path.join(here, 'ort');

const USAGE = `usage: node scripts/ort_reference.mjs --model MODEL.onnx --input X.npy [options]

Runs ONNX Runtime (CPU) on each sample of X.npy (batch 1) and writes the outputs as float32 .npy.

  --model PATH        ONNX model
  --input PATH        .npy: float32/float64 [N,C,H,W] or [C,H,W] (fed as is), or uint8 pixels (normalised)
  --output PATH       output .npy, float32 [N, ...]   (default: print only)
  --scale S           uint8 only: pixel scale, a number or a fraction such as 1/255 (default 1/255)
  --mean M            uint8 only: one value or one per channel, comma-separated (default 0)
  --std S             uint8 only: one value or one per channel, comma-separated (default 1)
  --color ORDER       uint8 only: rgb (planes as stored) or bgr (planes reversed, like nestrt-convert --color bgr)
                      (default rgb)
  --labels PATH       one integer label per line: print top-1 accuracy (overall and per label)
  --limit N           only the first N samples
  --input-name NAME   model input to feed (default: the first)
  --output-name NAME  model output to save (default: the first)
  --threads N         intra-op threads (default: ONNX Runtime's choice)
  -q, --quiet         print the summary only
  -h, --help          this help

Setup once: npm ci --prefix scripts/ort`;

function fail(message) {
  console.error(`ort_reference: ${message}`);
  process.exit(1);
}

function parseNumber(text, what) {
  const t = String(text).trim();
  let v;
  if (t.includes('/')) {
    const [a, b] = t.split('/');
    v = Number(a) / Number(b);
  } else {
    v = Number(t);
  }
  if (!Number.isFinite(v)) fail(`${what}: '${text}' is not a number`);
  return v;
}

function parseList(text, what) {
  return String(text)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parseNumber(s, what));
}

// Returns { dtype: 'f4'|'f8'|'u1', shape: number[], data: TypedArray }.
function readNpy(file) {
  const buf = readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not an .npy file`);
  const major = buf[6];
  let headerLen, headerBegin;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerBegin = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    headerBegin = 12;
  } else {
    fail(`${file}: unsupported .npy version ${major}`);
  }
  const header = buf.toString('latin1', headerBegin, headerBegin + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`${file}: malformed .npy header`);
  if (fortran !== 'False') fail(`${file}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const begin = headerBegin + headerLen;
  const types = { '<f4': ['f4', Float32Array], '<f8': ['f8', Float64Array], '|u1': ['u1', Uint8Array], '<u1': ['u1', Uint8Array] };
  const type = types[descr];
  if (!type) fail(`${file}: unsupported dtype '${descr}' (float32 '<f4', float64 '<f8' or uint8 '|u1')`);
  const [dtype, Ctor] = type;
  const bytes = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length - begin !== bytes) fail(`${file}: expected ${bytes} data bytes for shape (${shape}), found ${buf.length - begin}`);
  // Copy into an aligned buffer (the data offset need not be a multiple of the element size).
  const data = new Ctor(count);
  new Uint8Array(data.buffer).set(buf.subarray(begin, begin + bytes));
  return { dtype, shape, data };
}

function writeNpyFloat32(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  renameSync(tmp, file);
}

function readLabels(file) {
  return readFileSync(file, 'utf8')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v)) fail(`${file}: '${s}' is not an integer label`);
      return v;
    });
}

function loadOrt() {
  const require = createRequire(path.join(ortDir, 'package.json'));
  try {
    return require('onnxruntime-node');
  } catch (e) {
    fail(`onnxruntime-node is not installed (${e.code ?? e.message}); run: npm ci --prefix scripts/ort`);
  }
}

async function main() {
  let args;
  try {
    ({ values: args } = parseArgs({
      options: {
        model: { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        scale: { type: 'string' },
        mean: { type: 'string' },
        std: { type: 'string' },
        color: { type: 'string' },
        labels: { type: 'string' },
        limit: { type: 'string' },
        'input-name': { type: 'string' },
        'output-name': { type: 'string' },
        threads: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.model || !args.input) fail(`--model and --input are required\n${USAGE}`);
  for (const f of [args.model, args.input, args.labels].filter(Boolean)) if (!existsSync(f)) fail(`${f}: no such file`);

  const array = readNpy(args.input);
  let shape = array.shape;
  if (shape.length === 3) shape = [1, ...shape];
  if (shape.length !== 4) fail(`${args.input}: expected [N,C,H,W] or [C,H,W], got (${array.shape})`);
  const [n, c, h, w] = shape;
  const pixels = array.dtype === 'u1';
  const color = args.color ?? 'rgb';
  if (!['rgb', 'bgr'].includes(color)) fail(`--color must be rgb or bgr, not '${color}'`);
  if (!pixels && (args.scale || args.mean || args.std || args.color)) {
    fail('--scale/--mean/--std/--color apply to uint8 pixel input only; float input is fed as is');
  }
  const scale = parseNumber(args.scale ?? '1/255', '--scale');
  const mean = parseList(args.mean ?? '0', '--mean');
  const std = parseList(args.std ?? '1', '--std');
  for (const [name, v] of [['--mean', mean], ['--std', std]]) {
    if (v.length !== 1 && v.length !== c) fail(`${name} has ${v.length} values; expected 1 or ${c}`);
  }
  if (std.some((s) => s === 0)) fail('--std must not be zero');
  const reverse = pixels && color === 'bgr' && c === 3;
  const limit = args.limit !== undefined ? parseNumber(args.limit, '--limit') : n;
  const count = Math.min(n, limit);
  const labels = args.labels ? readLabels(args.labels) : null;
  if (labels && labels.length < count) fail(`${args.labels}: ${labels.length} labels for ${count} samples`);

  const ort = loadOrt();
  const sessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (args.threads) sessionOptions.intraOpNumThreads = parseNumber(args.threads, '--threads');
  const session = await ort.InferenceSession.create(args.model, sessionOptions);
  const inputName = args['input-name'] ?? session.inputNames[0];
  const outputName = args['output-name'] ?? session.outputNames[0];
  if (!session.inputNames.includes(inputName)) fail(`model has no input '${inputName}' (inputs: ${session.inputNames})`);
  if (!session.outputNames.includes(outputName)) fail(`model has no output '${outputName}' (outputs: ${session.outputNames})`);
  const meta = session.inputMetadata?.find?.((m) => m.name === inputName);
  if (meta?.shape) {
    const want = meta.shape.slice(1);
    [c, h, w].forEach((d, i) => {
      if (typeof want[i] === 'number' && want[i] !== d) {
        fail(`${args.input}: sample shape [${c},${h},${w}] does not fit the model input ${inputName} [${meta.shape}]`);
      }
    });
  }

  const plane = h * w;
  const size = c * plane;
  const sample = new Float32Array(size);
  let outShape = null;
  let out = null;
  let correct = 0;
  const perLabel = new Map(); // label -> [correct, total]
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const base = i * size;
    if (pixels) {
      for (let ch = 0; ch < c; ch++) {
        const m = mean.length === 1 ? mean[0] : mean[ch];
        const s = std.length === 1 ? std[0] : std[ch];
        const src = base + (reverse ? c - 1 - ch : ch) * plane;
        const dst = ch * plane;
        for (let p = 0; p < plane; p++) sample[dst + p] = (array.data[src + p] * scale - m) / s;
      }
    } else {
      for (let k = 0; k < size; k++) sample[k] = array.data[base + k];
    }
    const result = await session.run({ [inputName]: new ort.Tensor('float32', sample, [1, c, h, w]) }, [outputName]);
    const y = result[outputName];
    if (y.type !== 'float32') fail(`output ${outputName} has type ${y.type}, expected float32`);
    if (out === null) {
      if (y.dims[0] !== 1) fail(`output ${outputName} has shape [${y.dims}]; expected a leading batch dim of 1`);
      outShape = [count, ...y.dims.slice(1)];
      out = new Float32Array(count * y.data.length);
    }
    if (y.data.length * count !== out.length) fail(`output ${outputName} changed size at sample ${i}`);
    out.set(y.data, i * y.data.length);
    if (labels) {
      let best = 0;
      for (let k = 1; k < y.data.length; k++) if (y.data[k] > y.data[best]) best = k;
      const ok = best === labels[i];
      correct += ok;
      const e = perLabel.get(labels[i]) ?? [0, 0];
      e[0] += ok;
      e[1] += 1;
      perLabel.set(labels[i], e);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  if (args.output) writeNpyFloat32(args.output, outShape, out);
  const pct = (a, b) => ((100 * a) / b).toFixed(2);
  const inputText = pixels
    ? `uint8 pixels, x = (p*${scale.toPrecision(6)} - [${mean}]) / [${std}], ${reverse ? 'channels reversed (bgr)' : 'channels as stored'}`
    : `${array.dtype === 'f4' ? 'float32' : 'float64'}, fed as is`;
  console.log(`onnxruntime-node ${ort.env?.versions?.common ?? ''} CPU: ${path.basename(args.model)} on ${count} samples of [${c},${h},${w}] (${inputText})`);
  console.log(`${outputName}: [${outShape}] in ${seconds.toFixed(2)} s (${((1e3 * seconds) / count).toFixed(2)} ms/sample)${args.output ? ` -> ${args.output}` : ''}`);
  if (labels) {
    const parts = [...perLabel.keys()].sort((a, b) => a - b).map((k) => {
      const [ok, total] = perLabel.get(k);
      return `label ${k}: ${pct(ok, total)}% (${ok}/${total})`;
    });
    console.log(`top-1 ${pct(correct, count)}% (${correct}/${count}); ${parts.join('; ')}`);
  }
  if (!args.quiet && !args.output) {
    for (let i = 0; i < Math.min(count, 8); i++) {
      const row = Array.from(out.subarray(i * (out.length / count), (i + 1) * (out.length / count)).slice(0, 10));
      console.log(`  [${i}] ${row.map((v) => v.toFixed(5)).join(' ')}${labels ? `  label ${labels[i]}` : ''}`);
    }
  }
}

main().catch((e) => fail(e.stack ?? String(e)));
