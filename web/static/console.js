// Oversight console: the little the pages need beyond HTML.
// - Passkeys: a form with data-passkey="create" or "get" asks its
//   data-options URL for WebAuthn options, runs the ceremony, puts the
//   answer in its "credential" field and the ceremony's id in "ceremony",
//   then submits as usual. A form with data-stepup does the same for an
//   approval (a fresh assertion), with the options of /stepup/options.
// - Live regions: an element with data-live="URL" listens to the
//   server-sent events at URL and replaces its content with each event's
//   data (HTML the server rendered).
// Everything else is plain HTML forms and links, enhanced by htmx.
"use strict";

(function () {
  function fail(form, message) {
    var p = form.querySelector(".error[data-js]");
    if (!p) {
      p = document.createElement("p");
      p.className = "error";
      p.setAttribute("data-js", "");
      p.setAttribute("role", "alert");
      form.insertBefore(p, form.querySelector("button"));
    }
    p.textContent = message;
  }

  async function ceremony(form, kind, optionsURL) {
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      fail(form, "This browser cannot use passkeys here; use a recent Chrome, Edge, Firefox or Safari.");
      return;
    }
    var res = await fetch(optionsURL, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (!res.ok) {
      var text = await res.text();
      var doc = new DOMParser().parseFromString(text, "text/html");
      var detail = doc.querySelector(".problem p");
      fail(form, detail ? detail.textContent : "The server refused: " + res.status);
      return;
    }
    var opts = await res.json();
    var cred;
    try {
      if (kind === "create") {
        cred = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(opts.publicKey) });
      } else {
        cred = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts.publicKey) });
      }
    } catch (e) {
      fail(form, "The passkey was not used (" + e.name + "). Try again.");
      return;
    }
    form.elements.ceremony.value = opts.ceremony;
    form.elements.credential.value = JSON.stringify(cred.toJSON());
    form.dataset.done = "1";
    // htmx would boost the submit; the answer must go as a plain post.
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.dataset.done) return;
    var kind = form.dataset.passkey, url = form.dataset.options;
    if (form.hasAttribute("data-stepup")) { kind = "get"; url = "/stepup/options"; }
    if (!kind) return;
    ev.preventDefault();
    ev.stopPropagation();
    ceremony(form, kind, url).catch(function (e) { fail(form, "Something went wrong: " + e.message); });
  }, true);

  // Open streams, closed when htmx swaps their region out of the page:
  // a page left for another must not keep listening.
  var streams = [];
  function live(el) {
    if (el.dataset.liveOn) return;
    el.dataset.liveOn = "1";
    var es = new EventSource(el.dataset.live);
    es.onmessage = function (ev) {
      el.innerHTML = ev.data;
      el.dataset.updated = String(Date.now());
    };
    streams.push({ el: el, es: es });
  }
  function scan() {
    streams = streams.filter(function (s) {
      if (s.el.isConnected) return true;
      s.es.close();
      return false;
    });
    document.querySelectorAll("[data-live]").forEach(live);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);

  document.addEventListener("click", function (ev) {
    if (ev.target.matches("a[data-back]")) { ev.preventDefault(); history.back(); }
  });
})();
