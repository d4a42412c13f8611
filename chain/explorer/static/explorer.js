// Riik chain explorer: plain JavaScript, no build step, no dependencies.
//
// The block list, the chart and the lookups only display what the API says. The "verify
// in your browser" button trusts nothing from the server: it recomputes the
// record's hashes, its RFC 9162 inclusion proof, the block hash and the
// supernodes' Ed25519 signatures with WebCrypto, exactly as
// docs/chain-format.md and `python -m chain.verify receipt.json` do.
"use strict";

const API = "/api/v1/chain";
const POLL_MS = 2000;
const utf8 = new TextEncoder();
let receipt = null;
// The page's texts in the reader's language, given by the server (explorer.views.TEXTS);
// the verifier's findings stay in the format's English, as chain.verify prints them.
const TEXTS = JSON.parse(document.body.dataset.texts);

// --- bytes -------------------------------------------------------------------

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text, what) {
  if (typeof text !== "string" || !/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new Error(`${what} is not lowercase hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function same(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

// Canonical JSON (docs/chain-format.md section 1): sorted keys, no spaces,
// UTF-8, integers only.
function canonical(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an integer`);
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

// --- checks ------------------------------------------------------------------

// RFC 9162 section 2.1.3.2.
async function verifyInclusion(leafHash, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat([1], p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(concat([1], r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, root);
}

async function keyId(name, publicKey) {
  return (await sha256(concat(utf8.encode(name), [0x0a, 0x01], publicKey))).slice(0, 4);
}

async function ed25519Verify(publicKey, signature, message) {
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch (error) {
    return false; // a malformed key or signature never counts
  }
}

function parseVerifierKey(line) {
  const first = line.indexOf("+");
  const second = line.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new Error(`"${line}" is not a C2SP verifier key`);
  const material = Uint8Array.from(atob(line.slice(second + 1)), (c) => c.charCodeAt(0));
  if (material.length !== 33 || material[0] !== 1) throw new Error(`"${line}" is not Ed25519`);
  return { name: line.slice(0, first), key_id: line.slice(first + 1, second), public_key: material.slice(1) };
}

async function supernodeKeys(fromReceipt) {
  const pinned = document.getElementById("trusted-keys").value.split("\n").map((l) => l.trim());
  const lines = pinned.filter((l) => l && !l.startsWith("#"));
  const keys = lines.length
    ? lines.map(parseVerifierKey)
    : fromReceipt.map((k) => ({ ...k, public_key: unhex(k.public_key, "public key") }));
  for (const key of keys) {
    if (hex(await keyId(key.name, key.public_key)) !== key.key_id) {
      throw new Error(`key id of ${key.name} does not match its public key`);
    }
  }
  return { keys, pinned: lines.length > 0 };
}

function fail(message) {
  throw new Error(message);
}

async function verifyReceipt(r, log) {
  const e = r.entry;
  const where = `registry ${e.registry} seq ${e.seq}`;
  const payloadHash = unhex(e.payload_hash, "payload_hash");
  // A public receipt ("payloads": "omitted") has no payload to re-hash: the chain proves, it
  // does not publish (docs/chain-format.md). Everything else is checked the same.
  const rehash = !(r.payloads === "omitted" && e.payload === undefined);
  if (rehash && !same(await sha256(unhex(e.payload, "payload")), payloadHash)) {
    fail(`${where}: payload hash mismatch`);
  }
  const envelope = {
    originator_id: e.originator_id,
    originator_version: e.originator_version,
    payload_hash: e.payload_hash,
    recorded_at: e.recorded_at,
    registry: e.registry,
    seq: e.seq,
    topic: e.topic,
  };
  const leaf = utf8.encode(canonical(envelope));
  if (!same(await sha256(concat(unhex(e.prev_hash, "prev_hash"), leaf)), unhex(e.entry_hash, "entry_hash"))) {
    fail(`${where}: entry hash mismatch`);
  }
  log(
    rehash
      ? `${where}: payload hash and entry hash recomputed`
      : `${where}: entry hash recomputed; public receipt: the payload is omitted, so its payload hash was not re-hashed`,
  );

  const header = r.block.header;
  const height = header.height;
  const digest = await sha256(utf8.encode(canonical(header)));
  if (hex(digest) !== r.block.block_hash) fail(`block ${height}: block hash mismatch`);
  log(`block ${height}: hash ${hex(digest)} recomputed from its header`);

  const signedLog = header.logs[e.registry];
  if (!signedLog) fail(`block ${height}: commits to no log ${e.registry}`);
  const proof = r.inclusion.proof.map((p) => unhex(p, "proof hash"));
  const leafHash = await sha256(concat([0], leaf));
  const included =
    r.inclusion.tree_size === signedLog.size &&
    r.inclusion.leaf_index === e.seq - 1 &&
    (await verifyInclusion(leafHash, e.seq - 1, signedLog.size, proof, unhex(signedLog.root, "root")));
  if (!included) fail(`${where}: inclusion proof does not reach block ${height}'s root`);
  log(`${where}: inclusion proof (${proof.length} hashes) reaches root ${signedLog.root} of size ${signedLog.size}`);

  const { keys, pinned } = await supernodeKeys(r.keys.supernodes);
  const quorum = pinned ? keys.length - Math.floor((keys.length - 1) / 3) : r.keys.quorum;
  const valid = new Set();
  for (const signature of r.block.certificate) {
    const key = keys.find((k) => k.name === signature.signer && k.key_id === signature.key_id);
    if (!key || signature.alg !== "ed25519") continue;
    const vote = {
      block_hash: hex(digest),
      chain_id: header.chain_id,
      height,
      kind: "finalize",
      round: signature.round ?? r.block.round,
      tier: "supernode",
    };
    const message = utf8.encode(canonical(vote));
    if (await ed25519Verify(key.public_key, unhex(signature.signature, "signature"), message)) {
      valid.add(signature.signer);
    }
  }
  if (valid.size < quorum) fail(`block ${height}: missing supernode quorum (${valid.size} of ${quorum} valid signatures)`);
  log(
    `block ${height}: ${valid.size} valid supernode Ed25519 signatures (quorum ${quorum}, ` +
      (pinned ? "your trusted keys)" : "keys that came with the receipt)"),
  );
  return `VERIFIED: ${where} is in block ${height}, final with ${valid.size} of ${keys.length} supernode signatures`;
}

// --- page --------------------------------------------------------------------

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
  return body;
}

// The block list shows one page of the block feed: the newest, or the page a
// "newer"/"older" link of the API led to (DRF cursors; the page stays put while
// it refreshes).
const PAGE_SIZE = Number(document.body.dataset.pageSize);
const NEWEST = `${API}/blocks/?page_size=${PAGE_SIZE}`;
let blocksUrl = NEWEST;
let blocksPage = null;

function text(name, values = {}) {
  return TEXTS[name].replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
}

function levelBadge(level) {
  return el("span", level, `level ${level}`);
}

async function refreshBlocks() {
  const status = document.getElementById("blocks-status");
  try {
    const page = await getJSON(blocksUrl);
    blocksPage = page;
    const body = document.querySelector("#blocks tbody");
    body.replaceChildren(
      ...page.results.map((block) => {
        const row = el("tr");
        row.dataset.height = block.height;
        row.append(el("td", String(block.height)));
        const level = el("td");
        level.append(levelBadge(block.level));
        row.append(level, el("td", block.block_hash.slice(0, 16) + "…"), el("td", block.sealed_at));
        const sizes = Object.entries(block.logs).map(([name, log]) => `${name} ${log.size}`);
        row.append(el("td", sizes.join(", ")));
        row.addEventListener("click", () => showBlock(block.height));
        return row;
      }),
    );
    const heights = page.results.map((block) => block.height);
    document.getElementById("blocks-range").textContent = heights.length
      ? text("blocks_range", { first: Math.max(...heights), last: Math.min(...heights) })
      : "";
    document.getElementById("blocks-newest").disabled = blocksUrl === NEWEST;
    document.getElementById("blocks-newer").disabled = !page.previous;
    document.getElementById("blocks-older").disabled = !page.next;
    status.textContent = page.results.length
      ? `${TEXTS.updated} ${new Date().toLocaleTimeString()}`
      : TEXTS.no_blocks;
  } catch (error) {
    status.textContent = `${TEXTS.cannot_load} ${error.message}`;
  }
}

function goToBlocks(url) {
  if (!url) return;
  // Same origin only: the links are the API's own, made relative to this page.
  const target = new URL(url, location.href);
  blocksUrl = target.pathname + target.search;
  refreshBlocks();
}

// --- chart -------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const CHART_SIZE = Number(document.body.dataset.chartSize);
const LEVELS = ["proposed", "committed", "final", "witnessed"];

function svg(tag, attributes, content) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (content !== undefined) node.textContent = content;
  return node;
}

function secondsToFinal(block) {
  if (!block.final_at) return null;
  const seconds = (Date.parse(block.final_at) - Date.parse(block.sealed_at)) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// One column per block, oldest on the left: a dot at its seconds to finality
// (none while it is not final) and, along the bottom, a bar in its level's colour.
function drawChart(blocks) {
  const chart = document.getElementById("chart");
  const [width, height, left, bottom, top] = [720, 220, 44, 52, 12];
  const ordered = [...blocks].sort((a, b) => a.height - b.height);
  const times = ordered.map(secondsToFinal);
  const known = times.filter((t) => t !== null);
  // Room above the slowest block; a chain that finalizes in milliseconds still
  // gets a readable scale.
  const most = Math.max(0.01, ...known) * 1.1;
  const step = (width - left - 8) / Math.max(1, ordered.length);
  const plotBottom = height - bottom;
  const y = (seconds) => plotBottom - ((plotBottom - top) * seconds) / most;
  const nodes = [
    svg("line", { x1: left, y1: plotBottom, x2: width - 8, y2: plotBottom, class: "axis" }),
    svg("line", { x1: left, y1: top, x2: left, y2: plotBottom, class: "axis" }),
    svg("text", { x: left - 4, y: top + 4, class: "tick end" }, most.toPrecision(2)),
    svg("text", { x: left - 4, y: plotBottom, class: "tick end" }, "0"),
    svg("text", { x: (left + width) / 2, y: height - 4, class: "tick middle" }, TEXTS.height),
    svg("text", { x: left + 6, y: top + 4, class: "tick" }, TEXTS.seconds),
  ];
  ordered.forEach((block, i) => {
    const x = left + step * (i + 0.5);
    const bar = svg("rect", {
      x: x - step * 0.4,
      y: plotBottom + 4,
      width: Math.max(1, step * 0.8),
      height: 8 + 3 * Math.max(0, LEVELS.indexOf(block.level)),
      class: `bar ${block.level}`,
      "data-height": block.height,
    });
    bar.append(svg("title", {}, `${block.height}: ${block.level}`));
    nodes.push(bar);
    if (times[i] !== null) {
      const dot = svg("circle", {
        cx: x,
        cy: y(times[i]),
        r: 3.5,
        class: `point ${block.level}`,
        "data-height": block.height,
      });
      dot.append(svg("title", {}, `${block.height}: ${times[i].toFixed(2)} s`));
      nodes.push(dot);
    }
  });
  if (ordered.length) {
    const below = plotBottom + 34;
    nodes.push(svg("text", { x: left + step * 0.5, y: below, class: "tick middle" }, ordered[0].height));
    nodes.push(
      svg(
        "text",
        { x: left + step * (ordered.length - 0.5), y: below, class: "tick middle" },
        ordered[ordered.length - 1].height,
      ),
    );
  }
  chart.replaceChildren(...nodes);
  document.getElementById("chart-summary").textContent = known.length
    ? text("chart_summary", { final: known.length, count: ordered.length, median: median(known).toFixed(2) })
    : text("chart_none_final", { count: ordered.length });
}

async function refreshChart() {
  try {
    drawChart((await getJSON(`${API}/blocks/?page_size=${CHART_SIZE}`)).results);
  } catch (error) {
    document.getElementById("chart-summary").textContent = `${TEXTS.cannot_load} ${error.message}`;
  }
}

// --- a record by its public identifier ----------------------------------------

let entriesNext = null;

function entryRow(entry) {
  const row = el("tr");
  row.dataset.seq = entry.seq;
  const level = el("td");
  level.append(levelBadge(entry.level));
  row.append(
    el("td", String(entry.seq)),
    el("td", entry.topic.split(":").pop()),
    el("td", entry.recorded_at),
    el("td", entry.entry_hash.slice(0, 16) + "…"),
    el("td", entry.block_height === null ? TEXTS.pending : String(entry.block_height)),
    level,
  );
  row.addEventListener("click", () => {
    // The entry's receipt, below: the same lookup as by registry and seq.
    document.getElementById("registry").value = entry.registry;
    document.getElementById("seq").value = entry.seq;
    document.getElementById("lookup").requestSubmit();
  });
  return row;
}

async function showEntries(url, append) {
  const error = document.getElementById("find-error");
  const table = document.getElementById("entries");
  const more = document.getElementById("entries-more");
  error.textContent = "";
  try {
    const page = await getJSON(url);
    const body = table.querySelector("tbody");
    const rows = page.results.map(entryRow);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    entriesNext = page.next;
    more.hidden = !page.next;
    table.hidden = false;
    if (!body.children.length) error.textContent = TEXTS.no_entries;
  } catch (failure) {
    table.hidden = true;
    more.hidden = true;
    error.textContent = failure.message;
  }
}

function findRecord(event) {
  event.preventDefault();
  const registry = document.getElementById("find-registry").value;
  const identifier = document.getElementById("find-identifier").value.trim();
  const url = `${API}/logs/${encodeURIComponent(registry)}/records/${encodeURIComponent(identifier)}/`;
  showEntries(url, false);
}

async function showBlock(height) {
  const block = await getJSON(`${API}/blocks/${height}/`);
  document.getElementById("block-section").hidden = false;
  document.getElementById("block-height").textContent = `${block.height} (${block.level})`;
  document.getElementById("block-hash").textContent = block.block_hash;
  const byTier = {};
  for (const signature of block.certificate) (byTier[signature.tier] ||= []).push(signature);
  const box = document.getElementById("signatures");
  box.replaceChildren();
  for (const tier of ["witness", "supernode", "citizen"]) {
    const signatures = byTier[tier] || [];
    const section = el("div", undefined, "tier");
    section.dataset.tier = tier;
    section.append(el("h3", `${tier}: ${signatures.length} signatures`));
    const list = el("ul");
    for (const s of signatures) list.append(el("li", `${s.signer} ${s.kind} round ${s.round} key ${s.key_id}`));
    section.append(list);
    box.append(section);
  }
}

async function lookUp(event) {
  event.preventDefault();
  const registry = document.getElementById("registry").value;
  const seq = document.getElementById("seq").value;
  const error = document.getElementById("lookup-error");
  error.textContent = "";
  document.getElementById("verdict").textContent = "";
  document.getElementById("checks").replaceChildren();
  try {
    receipt = await getJSON(`${API}/logs/${registry}/entries/${seq}/receipt/`);
  } catch (failure) {
    document.getElementById("record").hidden = true;
    error.textContent = failure.message;
    return;
  }
  const fields = document.getElementById("record-fields");
  const e = receipt.entry;
  const shown = {
    record: `${e.registry} seq ${e.seq}`,
    event: e.topic,
    recorded: e.recorded_at,
    block: `${receipt.block.header.height}`,
    "entry hash": e.entry_hash,
  };
  fields.replaceChildren(...Object.entries(shown).flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
  document.getElementById("record").hidden = false;
}

async function verifyClicked() {
  const verdict = document.getElementById("verdict");
  const checks = document.getElementById("checks");
  checks.replaceChildren();
  verdict.className = "";
  verdict.textContent = TEXTS.verifying;
  localStorage.setItem("riik-trusted-keys", document.getElementById("trusted-keys").value);
  try {
    verdict.textContent = await verifyReceipt(receipt, (line) => checks.append(el("li", line)));
    verdict.className = "good";
  } catch (failure) {
    verdict.textContent = `FAILED: ${failure.message}`;
    verdict.className = "bad";
  }
}

document.getElementById("trusted-keys").value = localStorage.getItem("riik-trusted-keys") || "";
document.getElementById("lookup").addEventListener("submit", lookUp);
document.getElementById("verify").addEventListener("click", verifyClicked);
document.getElementById("find").addEventListener("submit", findRecord);
document.getElementById("entries-more").addEventListener("click", () => {
  if (entriesNext) showEntries(entriesNext, true);
});
document.getElementById("blocks-newest").addEventListener("click", () => goToBlocks(NEWEST));
document.getElementById("blocks-newer").addEventListener("click", () => goToBlocks(blocksPage?.previous));
document.getElementById("blocks-older").addEventListener("click", () => goToBlocks(blocksPage?.next));
function refresh() {
  refreshBlocks();
  refreshChart();
}
refresh();
setInterval(refresh, POLL_MS);
