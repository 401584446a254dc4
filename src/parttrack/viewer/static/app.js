// parttrack viewer: plain JS + canvas, talks to the JSON API of parttrack.viewer.app.
"use strict";

const $ = (id) => document.getElementById(id);
const S = {
  video: null,      // {key, name, width, height, fps, frames}
  frame: 0,
  choice: null,     // {point: [x, y]} or {box: [x, y, w, h]} in image pixels
  job: null,        // last snapshot of the job shown
  records: new Map(), // frame -> TrackResult JSON of the job shown
  playing: false,
  images: new Map(),  // frame -> HTMLImageElement (small cache)
  live: null,
  drag: null,
};
const COLORS = { box: "#50dc50", head: "#00c8ff", eye: "#ff50c8", choice: "#ffd400", lost: "#ff4040" };

// what a test (or a curious user) can read back: window.viewer.headPoints()
window.viewer = {
  state: () => (S.job ? S.job.state : "none"),
  headPoints: () => {
    const out = {};
    for (const [f, r] of S.records) {
      const h = r.parts && r.parts.head;
      if (h) out[f] = h.point;
    }
    return out;
  },
  records: () => Object.fromEntries(S.records),
  video: () => S.video,
  frame: () => S.frame,
};

async function api(url, opts = {}) {
  const res = await fetch(url, opts);
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : null;
  if (!res.ok) throw new Error((body && body.detail) || `${res.status} ${res.statusText}`);
  return body;
}
function postJSON(url, data) {
  return api(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}
function showError(e) {
  const el = $("error");
  if (!e) { el.hidden = true; el.textContent = ""; return; }
  el.hidden = false;
  el.textContent = String(e.message || e);
}

// --- videos --------------------------------------------------------------------------------
async function loadVideos(select) {
  const list = await api("/api/videos");
  const ul = $("videos");
  ul.innerHTML = "";
  $("videos-empty").hidden = list.length > 0;
  for (const v of list) {
    const li = document.createElement("li");
    li.textContent = v.name + (v.upload ? " (upload)" : "");
    li.dataset.key = v.key;
    li.title = `${(v.size / 1e6).toFixed(1)} MB`;
    li.onclick = () => openVideo(v.key).catch(showError);
    ul.appendChild(li);
  }
  if (select) await openVideo(select);
}

async function openVideo(key) {
  stopLive();
  showError(null);
  const info = await api("/api/video?key=" + encodeURIComponent(key));
  S.video = info;
  S.images.clear();
  S.records.clear();
  S.job = null;
  S.choice = null;
  document.body.dataset.jobState = "none";
  for (const li of $("videos").children) li.classList.toggle("active", li.dataset.key === key);
  $("title").textContent = `${info.key} — ${info.width}×${info.height}, ${info.frames} frames, ${info.fps.toFixed(1)} fps`;
  $("title").classList.remove("muted");
  const c = $("view");
  c.width = info.width;
  c.height = info.height;
  $("scrub").max = info.frames - 1;
  $("end").max = info.frames - 1;
  $("end").value = "";
  $("downloads").innerHTML = "";
  $("progress").value = 0;
  $("status").textContent = "";
  updateChoice();
  await seek(0);
  document.body.dataset.videoReady = "1";
}

function frameImage(n) {
  if (S.images.has(n)) return S.images.get(n);
  const img = new Image();
  img.src = `/api/frame?key=${encodeURIComponent(S.video.key)}&n=${n}`;
  img.decoded = img.decode().catch(() => null);
  S.images.set(n, img);
  if (S.images.size > 240) S.images.delete(S.images.keys().next().value);
  return img;
}

async function seek(n) {
  if (!S.video) return;
  n = Math.max(0, Math.min(S.video.frames - 1, n | 0));
  S.frame = n;
  $("scrub").value = n;
  $("frame-no").textContent = `${n} / ${S.video.frames - 1}`;
  const img = frameImage(n);
  await img.decoded;
  if (S.frame !== n) return;  // a later seek won
  draw(img);
  updateMaps();
  drawPlot();
}

// --- drawing -------------------------------------------------------------------------------
function draw(img) {
  const c = $("view"), g = c.getContext("2d");
  if (img && img.complete && img.naturalWidth) g.drawImage(img, 0, 0, c.width, c.height);
  const s = Math.max(1, Math.min(c.width, c.height) / 300);
  g.lineWidth = 2 * s;
  const r = S.records.get(S.frame);
  if (r) {
    if (r.box) {
      g.strokeStyle = COLORS.box;
      g.strokeRect(...r.box);
    }
    g.strokeStyle = COLORS.head;  // the head's last second as a fading trail
    for (let f = S.frame - 25, prev = null; f <= S.frame; f++) {
      const h = S.records.get(f) && S.records.get(f).parts.head;
      if (h && prev) {
        g.globalAlpha = 0.25 + 0.75 * (f - S.frame + 25) / 25;
        g.beginPath(); g.moveTo(...prev); g.lineTo(...h.point); g.stroke();
      }
      prev = h ? h.point : null;
    }
    g.globalAlpha = 1;
    for (const [name, p] of Object.entries(r.parts || {})) {
      if (!p) continue;
      g.strokeStyle = COLORS[name] || "#ffff00";
      cross(g, p.point[0], p.point[1], 7 * s);
    }
    label(g, r.lost ? `LOST  ${r.score.toFixed(2)}` : `presence ${r.score.toFixed(2)}`,
      r.box ? r.box[0] : 4 * s, r.box ? r.box[1] - 4 * s : 16 * s, r.lost ? COLORS.lost : COLORS.box, s);
  } else if (S.choice && S.frame === S.choiceFrame) {
    g.strokeStyle = COLORS.choice;
    if (S.choice.box) g.strokeRect(...S.choice.box);
    else cross(g, S.choice.point[0], S.choice.point[1], 8 * s, true);
  }
  if (S.drag) {
    g.strokeStyle = COLORS.choice;
    g.setLineDash([4 * s, 3 * s]);
    g.strokeRect(S.drag.x0, S.drag.y0, S.drag.x1 - S.drag.x0, S.drag.y1 - S.drag.y0);
    g.setLineDash([]);
  }
}
function cross(g, x, y, r, ring) {
  g.beginPath();
  g.moveTo(x - r, y); g.lineTo(x + r, y);
  g.moveTo(x, y - r); g.lineTo(x, y + r);
  if (ring) { g.moveTo(x + r, y); g.arc(x, y, r, 0, 2 * Math.PI); }
  g.stroke();
}
function label(g, text, x, y, color, s) {
  g.font = `${Math.round(11 * s)}px sans-serif`;
  const w = g.measureText(text).width;
  y = Math.max(12 * s, y);
  g.fillStyle = "rgba(20,20,20,0.75)";
  g.fillRect(x - 2, y - 11 * s, w + 4, 14 * s);
  g.fillStyle = color;
  g.fillText(text, x, y);
}

function drawPlot() {
  const c = $("plot"), g = c.getContext("2d");
  const W = c.width, H = c.height, pad = 28;
  g.clearRect(0, 0, W, H);
  g.fillStyle = "#1b1d22"; g.fillRect(0, 0, W, H);
  if (!S.video) return;
  const n = Math.max(1, S.video.frames - 1);
  const X = (f) => pad + (W - 2 * pad) * f / n;
  const Y = (v) => H - pad + (2 * pad - H) * v;  // v in [0, 1]
  g.strokeStyle = "#444"; g.lineWidth = 1;
  g.strokeRect(pad, pad / 2, W - 2 * pad, H - 1.5 * pad);
  g.fillStyle = "#aaa"; g.font = "11px sans-serif";
  g.fillText("1", 8, Y(1) + 4); g.fillText("0", 8, Y(0) + 4);
  g.fillText("frame 0", pad, H - 8); g.fillText(String(n), W - pad - 20, H - 8);
  const frames = [...S.records.keys()].sort((a, b) => a - b);
  // head x and y are scaled to their own range over the track (shown in the legend, px)
  const range = (k) => {
    const v = frames.map((f) => S.records.get(f).parts.head).filter(Boolean).map((h) => h.point[k]);
    const lo = v.length ? Math.min(...v) : 0, hi = v.length ? Math.max(...v) : 1;
    return [lo, Math.max(hi - lo, 1)];
  };
  const [x0, dx] = range(0), [y0, dy] = range(1);
  const head = (r, k, lo, d) => r.parts.head && 0.05 + 0.9 * (r.parts.head.point[k] - lo) / d;
  const series = [
    ["presence score", COLORS.box, (r) => r.score],
    [`head x ${x0.toFixed(0)}–${(x0 + dx).toFixed(0)} px`, COLORS.head, (r) => head(r, 0, x0, dx)],
    [`head y ${y0.toFixed(0)}–${(y0 + dy).toFixed(0)} px`, "#ffa030", (r) => head(r, 1, y0, dy)],
  ];
  series.forEach(([name, color, get], k) => {
    g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
    let pen = false;
    for (const f of frames) {
      const v = get(S.records.get(f));
      if (v === null || v === undefined || v === false) { pen = false; continue; }
      const x = X(f), y = Y(Math.max(0, Math.min(1, v)));
      if (pen) g.lineTo(x, y); else g.moveTo(x, y);
      pen = true;
    }
    g.stroke();
    g.fillStyle = color; g.fillText(name, pad + 8 + 160 * k, pad / 2 + 12);
  });
  g.strokeStyle = "#fff"; g.beginPath(); g.moveTo(X(S.frame), pad / 2); g.lineTo(X(S.frame), H - pad); g.stroke();
}

// --- choosing the subject --------------------------------------------------------------------
function toImage(e) {
  const c = $("view"), rect = c.getBoundingClientRect();
  return [(e.clientX - rect.left) * c.width / rect.width, (e.clientY - rect.top) * c.height / rect.height];
}
function updateChoice() {
  const t = $("choice");
  const ch = S.choice;
  if (!ch) t.textContent = "Subject: click a person or drag a box on the frame.";
  else if (ch.box) t.textContent = `Subject: box ${ch.box.map((v) => v.toFixed(0)).join(", ")} on frame ${S.choiceFrame}`;
  else t.textContent = `Subject: tap at ${ch.point.map((v) => v.toFixed(0)).join(", ")} on frame ${S.choiceFrame}`;
  $("track").disabled = !S.video || !ch || (S.job && ["queued", "running"].includes(S.job.state));
}
function setupCanvas() {
  const c = $("view");
  c.addEventListener("mousedown", (e) => {
    if (!S.video) return;
    const [x, y] = toImage(e);
    S.drag = { x0: x, y0: y, x1: x, y1: y };
  });
  c.addEventListener("mousemove", (e) => {
    if (!S.drag) return;
    [S.drag.x1, S.drag.y1] = toImage(e);
    draw(frameImage(S.frame));
  });
  window.addEventListener("mouseup", (e) => {
    if (!S.drag) return;
    const d = S.drag;
    S.drag = null;
    [d.x1, d.y1] = toImage(e);
    const w = Math.abs(d.x1 - d.x0), h = Math.abs(d.y1 - d.y0);
    if (w >= 6 && h >= 6) S.choice = { box: [Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), w, h] };
    else if (e.target === c) S.choice = { point: [d.x0, d.y0] };
    else return;
    S.choiceFrame = S.frame;
    if (S.job && !["queued", "running"].includes(S.job.state)) { S.records.clear(); drawPlot(); }
    updateChoice();
    draw(frameImage(S.frame));
  });
}

// --- jobs ----------------------------------------------------------------------------------
async function startTrack() {
  showError(null);
  const body = { video: S.video.key, start: S.choiceFrame, ...S.choice };
  const end = $("end").value;
  if (end !== "") body.end = Number(end);
  const job = await postJSON("/api/jobs", body);
  S.records.clear();
  S.job = job;
  S.following = true;
  onJob(job);
  pollJob(job.id);
}
async function pollJob(id) {
  while (S.job && S.job.id === id) {
    const snap = await api(`/api/jobs/${id}?since=${S.recordsSeen || 0}`).catch((e) => { showError(e); return null; });
    if (!snap || !S.job || S.job.id !== id) return;
    onJob(snap);
    if (!["queued", "running"].includes(snap.state)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}
function onJob(snap) {
  S.job = snap;
  if (snap.since === 0) S.recordsSeen = 0;
  for (const r of snap.records || []) S.records.set(r.frame, r);
  S.recordsSeen = (S.recordsSeen || 0) + (snap.records || []).length;
  document.body.dataset.jobState = snap.state;
  const total = snap.total || 0;
  $("progress").max = Math.max(1, total);
  $("progress").value = snap.done;
  let text = `${snap.state}: ${snap.done}${total ? " / " + total : ""} frames`;
  if (snap.error) text += " — " + snap.error;
  $("status").textContent = text;
  if (snap.error) showError(new Error(snap.error));
  $("cancel").disabled = !["queued", "running"].includes(snap.state);
  const sel = $("maps-part");
  if (snap.parts.length && sel.options.length !== snap.parts.length) {
    sel.innerHTML = snap.parts.map((p) => `<option>${p}</option>`).join("");
  }
  const dl = $("downloads");
  dl.innerHTML = snap.outputs.map((o) => `<a href="/api/jobs/${snap.id}/files/${o}" download>${o}</a>`).join(" ");
  updateChoice();
  if (snap.state === "running" && S.following && !S.playing && S.records.size) {
    seek(Math.max(...S.records.keys()));
  } else if (snap.state === "done" && S.following) {
    S.following = false;
    seek(snap.start);
  } else {
    drawPlot();
  }
  refreshJobs();
}
async function refreshJobs() {
  const list = await api("/api/jobs").catch(() => []);
  $("jobs").innerHTML = list.slice(-8).reverse()
    .map((j) => `<li title="${j.id}">${j.video}: ${j.state} ${j.done}/${j.total ?? "?"}</li>`).join("");
}
function updateMaps() {
  const img = $("maps");
  const on = $("show-maps").checked && S.job && S.records.has(S.frame);
  img.hidden = !on;
  if (on) img.src = `/api/jobs/${S.job.id}/maps/${S.frame}?part=${encodeURIComponent($("maps-part").value)}`;
}

// --- playback ------------------------------------------------------------------------------
async function play() {
  if (!S.video) return;
  S.playing = !S.playing;
  $("play").innerHTML = S.playing ? "&#10074;&#10074;" : "&#9654;";
  const period = 1000 / Math.max(1, Math.min(60, S.video.fps));
  while (S.playing) {
    const t0 = performance.now();
    const next = S.frame + 1 >= S.video.frames ? 0 : S.frame + 1;
    for (let k = 1; k <= 8; k++) if (next + k < S.video.frames) frameImage(next + k);  // preload
    await seek(next);
    await new Promise((r) => setTimeout(r, Math.max(0, period - (performance.now() - t0))));
  }
}

// --- upload and live -----------------------------------------------------------------------
async function upload() {
  const file = $("upload-file").files[0];
  if (!file) throw new Error("choose a video file to upload");
  const form = new FormData();
  form.append("file", file, file.name);
  $("status").textContent = `uploading ${file.name}…`;
  const info = await api("/api/upload", { method: "POST", body: form });
  $("status").textContent = `uploaded ${info.key}`;
  await loadVideos(info.key);
}
async function startLive() {
  showError(null);
  stopLive();
  const s = await postJSON("/api/live", { source: $("live-source").value || "0" });
  S.live = s;
  S.playing = false;
  document.body.dataset.mode = "live";
  $("view").hidden = true;
  const img = $("live-img");
  img.hidden = false;
  img.src = `/api/live/${s.id}/mjpeg`;
  $("live-stop").disabled = false;
  $("title").textContent = `live: ${s.source} — click a person to track`;
  pollLive(s.id);
}
async function pollLive(id) {
  while (S.live && S.live.id === id) {
    const s = await api(`/api/live/${id}`).catch(() => null);
    if (!s) return;
    S.live = s;
    const r = s.record, head = r && r.parts.head;
    $("status").textContent = `live ${s.state}, frame ${s.frame}` +
      (r ? `, presence ${r.score.toFixed(2)}` : "") + (head ? `, head ${head.point.map((v) => v.toFixed(0)).join(", ")}` : "");
    if (s.error) showError(new Error(s.error));
    if (s.state !== "running") { $("live-stop").disabled = true; return; }
    await new Promise((r2) => setTimeout(r2, 300));
  }
}
function stopLive() {
  if (!S.live) return;
  const id = S.live.id;
  S.live = null;
  api(`/api/live/${id}/stop`, { method: "POST" }).catch(() => null);
  document.body.dataset.mode = "video";
  $("live-img").hidden = true;
  $("live-img").removeAttribute("src");
  $("view").hidden = false;
  $("live-stop").disabled = true;
}
function setupLiveClicks() {
  $("live-img").addEventListener("click", (e) => {
    if (!S.live) return;
    const img = $("live-img"), rect = img.getBoundingClientRect();
    const [W, H] = S.live.size || [img.naturalWidth, img.naturalHeight];
    const point = [(e.clientX - rect.left) * W / rect.width, (e.clientY - rect.top) * H / rect.height];
    postJSON(`/api/live/${S.live.id}/subject`, { point }).catch(showError);
  });
}

// --- wiring --------------------------------------------------------------------------------
function wire() {
  setupCanvas();
  setupLiveClicks();
  $("scrub").addEventListener("input", (e) => seek(Number(e.target.value)));
  $("prev").onclick = () => seek(S.frame - 1);
  $("next").onclick = () => seek(S.frame + 1);
  $("play").onclick = () => play();
  $("track").onclick = () => startTrack().catch(showError);
  $("cancel").onclick = () => S.job && api(`/api/jobs/${S.job.id}/cancel`, { method: "POST" }).catch(showError);
  $("show-maps").onchange = updateMaps;
  $("maps-part").onchange = updateMaps;
  $("upload-btn").onclick = () => upload().catch(showError);
  $("live-start").onclick = () => startLive().catch(showError);
  $("live-stop").onclick = stopLive;
  $("plot").addEventListener("click", (e) => {
    if (!S.video) return;
    const c = $("plot"), rect = c.getBoundingClientRect(), pad = 28;
    const x = (e.clientX - rect.left) * c.width / rect.width;
    seek(Math.round((x - pad) / (c.width - 2 * pad) * (S.video.frames - 1)));
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return;
    if (e.key === " ") { e.preventDefault(); play(); }
    if (e.key === "ArrowRight") seek(S.frame + 1);
    if (e.key === "ArrowLeft") seek(S.frame - 1);
  });
  api("/api/config").then((c) => { $("upload-limit").textContent = `up to ${c.max_upload_mb} MB`; }).catch(() => null);
  drawPlot();
  loadVideos().then(refreshJobs).catch(showError);
}
wire();
