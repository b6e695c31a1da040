// Oversight public log explorer: checks one entry of the audit log in the
// reader's browser, so that the reader need not trust the page the server
// rendered. It fetches the latest signed checkpoint, the entry's exact
// bytes and its inclusion proof from the log's public API, then with the
// browser's own WebCrypto:
//   1. checks the checkpoint's Ed25519 signature (a C2SP signed note)
//      against the log key the reader pinned (kept in this browser; on the
//      first visit the key the server gives, which the reader can replace
//      with the key the authority publishes);
//   2. hashes the entry as an RFC 6962 leaf and climbs the proof to the
//      checkpoint's root (RFC 9162, 2.1.3.2);
//   3. shows the entry from the bytes it hashed, not from the page.
// Any failure is shown as such; nothing here trusts the server's page.
(function () {
  "use strict";
  var PIN = "oversight.log-key";
  var enc = new TextEncoder();

  function b64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function b64of(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function concat() {
    var n = 0, i;
    for (i = 0; i < arguments.length; i++) n += arguments[i].length;
    var out = new Uint8Array(n), o = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], o); o += arguments[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function fail(msg) { throw new Error(msg); }

  // A note verifier key: name+hash+base64(0x01 || Ed25519 public key).
  function parseKey(vkey) {
    // The name holds no "+"; the key's base64 may.
    var parts = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
    if (!parts) fail("the pinned key is not a log key (name+hash+key)");
    parts = parts.slice(1);
    var data;
    try { data = b64(parts[2]); } catch (e) { fail("the pinned key's last part is not base64"); }
    if (data.length !== 33 || data[0] !== 1) fail("the pinned key is not an Ed25519 log key");
    return sha256(concat(enc.encode(parts[0] + "\n"), data)).then(function (h) {
      var hash = parts[1];
      if (hash !== Array.prototype.map.call(h.slice(0, 4), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("")) {
        fail("the pinned key's hash does not match its name and key");
      }
      return { name: parts[0], hash: h.slice(0, 4), pub: data.slice(1) };
    });
  }

  // Checks the signed note against key and returns the checkpoint.
  function checkNote(note, key) {
    var i = note.indexOf("\n\n");
    if (i < 0) fail("the checkpoint is not a signed note");
    var text = note.slice(0, i + 1), sigs = note.slice(i + 2).split("\n"), sig = null;
    for (var j = 0; j < sigs.length; j++) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(sigs[j]);
      if (!m || m[1] !== key.name) continue;
      var raw;
      try { raw = b64(m[2]); } catch (e) { continue; }
      if (raw.length === 68 && equal(raw.slice(0, 4), key.hash)) sig = raw.slice(4);
    }
    if (!sig) fail("the checkpoint carries no signature by the key you pinned (" + key.name + ")");
    return crypto.subtle.importKey("raw", key.pub, { name: "Ed25519" }, false, ["verify"]).then(function (k) {
      return crypto.subtle.verify({ name: "Ed25519" }, k, sig, enc.encode(text));
    }).then(function (ok) {
      if (!ok) fail("the checkpoint's signature is not valid for the key you pinned");
      var lines = text.split("\n");
      if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) fail("the checkpoint's text is not origin, size, root");
      var root = b64(lines[2]);
      if (root.length !== 32) fail("the checkpoint's root is not a SHA-256 hash");
      return { origin: lines[0], size: BigInt(lines[1]), root: root };
    });
  }

  // RFC 9162, 2.1.3.2: the root that the inclusion proof of leaf at index
  // in a tree of size leaves leads to.
  function climb(index, size, leaf, proof) {
    var fn = index, sn = size - 1n, r = Promise.resolve(leaf);
    if (index >= size) fail("the entry is beyond the checkpoint's tree");
    proof.forEach(function (p) {
      r = r.then(function (h) {
        if (sn === 0n) fail("the proof has more hashes than the tree has levels");
        var out;
        if ((fn & 1n) === 1n || fn === sn) {
          out = sha256(concat(new Uint8Array([1]), p, h));
          if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        } else {
          out = sha256(concat(new Uint8Array([1]), h, p));
        }
        fn >>= 1n; sn >>= 1n;
        return out;
      });
    });
    return r.then(function (h) {
      if (sn !== 0n) fail("the proof has fewer hashes than the tree has levels");
      return h;
    });
  }

  function get(url, as) {
    return fetch(url, { cache: "no-store", credentials: "omit" }).then(function (res) {
      if (!res.ok) fail(url + " answered " + res.status);
      return as === "text" ? res.text() : res.json();
    });
  }

  function show(sec, state, msg, entry) {
    sec.classList.remove("verify-pending", "verify-ok", "verify-fail");
    sec.classList.add("verify-" + state);
    sec.querySelector(".verdict").textContent = msg;
    var box = sec.querySelector(".verified-entry");
    if (entry !== undefined) {
      box.querySelector("pre").textContent = entry;
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  function check(sec) {
    var index = BigInt(sec.dataset.verifyIndex), server = sec.dataset.serverKey;
    var pinned = localStorage.getItem(PIN), first = false;
    if (!pinned) {
      pinned = server;
      localStorage.setItem(PIN, pinned);
      first = true;
    }
    sec.querySelector("#f-pin").value = pinned;
    show(sec, "pending", "Checking in your browser…");
    if (!window.crypto || !crypto.subtle) {
      show(sec, "fail", "Not checked: this browser offers no WebCrypto on this connection (it needs HTTPS).");
      return;
    }
    var key, cp, bytes;
    sec.dataset.step = "key";
    Promise.resolve(pinned).then(parseKey).then(function (k) {
      key = k;
      sec.dataset.step = "checkpoint";
      return get("/v1/log/checkpoint", "text");
    }).then(function (note) {
      sec.dataset.step = "signature";
      return checkNote(note, key);
    }).then(function (c) {
      sec.dataset.step = "entry and proof";
      cp = c;
      if (index >= cp.size) fail("the latest checkpoint does not cover this entry yet: reload in a few seconds");
      return Promise.all([get("/v1/log/entries/" + index), get("/v1/log/proof/inclusion?index=" + index + "&tree_size=" + cp.size)]);
    }).then(function (r) {
      var entry = r[0], proof = r[1];
      if (String(entry.index) !== String(index)) fail("the server sent entry " + entry.index + ", not " + index);
      if (String(proof.index) !== String(index) || String(proof.tree_size) !== String(cp.size)) fail("the server sent the proof of another entry or tree");
      sec.dataset.step = "hashes";
      bytes = b64(entry.entry);
      return sha256(concat(new Uint8Array([0]), bytes)).then(function (leaf) {
        return climb(index, cp.size, leaf, proof.hashes.map(b64));
      });
    }).then(function (root) {
      if (!equal(root, cp.root)) fail("the entry and its proof do not lead to the checkpoint's root: the entry is not the log's entry " + index);
      var text = new TextDecoder().decode(bytes), pretty = text;
      try {
        var ev = JSON.parse(text);
        if (String(ev.index) !== String(index)) fail("the entry says it is entry " + ev.index);
        pretty = JSON.stringify(ev, null, 2);
      } catch (e) {
        if (e.message.indexOf("the entry says") === 0) throw e;
      }
      show(sec, "ok", "Verified in your browser: entry " + index + " is in the log's tree of " + cp.size +
        " entries, root " + b64of(cp.root) + ", signed by the key you pinned (" + key.name + ")" +
        (first ? "; your browser pinned the key this server gives, on this first visit: compare it with the key the authority publishes." : "."), pretty);
    }).catch(function (e) {
      show(sec, "fail", "Verification failed in your browser: " + e.message + ". Do not rely on this entry as this page shows it.");
    });
  }

  function scan() {
    var sec = document.querySelector("[data-verify-index]");
    if (!sec || sec.dataset.started) return;
    sec.dataset.started = "1";
    sec.querySelector("form.pin").addEventListener("submit", function (ev) {
      ev.preventDefault();
      ev.stopPropagation();
      localStorage.setItem(PIN, sec.querySelector("#f-pin").value.trim());
      check(sec);
    }, true);
    check(sec);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();
