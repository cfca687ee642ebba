// Lotse: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function showError(text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    alert.appendChild(p);
    box.replaceChildren(alert);
  }

  // Confirm destructive plain-form actions; htmx forms use hx-confirm instead.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Show progress and stop a second tap from sending the form twice.
    document.body.classList.add("is-busy");
    form.setAttribute("aria-busy", "true");
    var submitter = event.submitter;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        if (b !== submitter || !b.name) b.disabled = true;
      });
    }, 0);
  });

  // Coming back through the browser's cache must not leave a page looking busy.
  window.addEventListener("pageshow", function () {
    document.body.classList.remove("is-busy");
    document.querySelectorAll("form[aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[disabled]").forEach(function (b) { b.disabled = false; });
    });
  });

  // The server aims error messages at #messages (HX-Retarget): let htmx show them whatever the status.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap removed the focused button, put focus on the swapped region's heading, not on <body>.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (document.activeElement && document.activeElement !== document.body) return;
    var target = event.detail.target;
    var heading = target && target.querySelector && target.querySelector("h2, h3");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showError(document.body.getAttribute("data-error-message"));
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Retarget")) return;
    showError(document.body.getAttribute("data-error-message"));
  });

  // Close an open menu when tapping elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // Submit filter forms when a select changes (the submit button stays for no-JS).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit] select")) {
      var form = el.form;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
  // --- installable and offline ------------------------------------------------------------------------
  // The service worker keeps the app shell and the user's own pages, and sends forms that waited offline.
  var worker = navigator.serviceWorker;
  var body = document.body;
  if (!worker || !body.getAttribute("data-worker")) return;

  function tellWorker(message) {
    worker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage(message);
    });
  }

  // Each form gets a key of its own, made here: sent twice (or sent again from the queue), it is stored once.
  document.querySelectorAll("input[name=idempotency_key]").forEach(function (input) {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    input.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  });

  // What became of an entry that waited: its name, then the server's answer (both already translated).
  function showOutcome(data, kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind;
    alert.setAttribute("role", kind === "error" ? "alert" : "status");
    var label = document.createElement("strong");
    label.textContent = data.label;
    var p = document.createElement("p");
    p.append(label, document.createElement("br"), data.message);
    alert.appendChild(p);
    box.appendChild(alert);
  }

  function showQueue(items) {
    var note = document.getElementById("queue-note");
    if (note) {
      // Styled only when shown: hidden, it is no warning to count.
      note.className = items.length ? "alert alert-warning" : "";
      note.hidden = items.length === 0;
    }
    var section = document.getElementById("queue");
    if (!section) return;
    section.hidden = items.length === 0;
    var list = section.querySelector("ul");
    list.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement("li");
      var text = document.createElement("div");
      text.className = "grow";
      var title = document.createElement("strong");
      title.textContent = item.label;
      var state = document.createElement("span");
      state.className = "queue-state is-" + item.state;
      state.textContent = section.getAttribute("data-" + item.state).replace("%(reason)s", item.message);
      text.append(title, state);
      li.appendChild(text);
      if (item.state === "refused") {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-small btn-secondary";
        remove.textContent = section.getAttribute("data-remove");
        remove.addEventListener("click", function () { tellWorker({ type: "dismiss", key: item.key }); });
        li.appendChild(remove);
      }
      list.appendChild(li);
    });
  }

  worker.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "list") showQueue(data.items);
    else if (data.type === "sent") showOutcome(data, "success");
    else if (data.type === "refused") showOutcome(data, "error");
    if (data.type !== "list") tellWorker({ type: "list", user: body.getAttribute("data-user") });
  });

  worker.register(body.getAttribute("data-worker"), { scope: "/" }).catch(function () {});
  tellWorker({ type: "page", user: body.getAttribute("data-user"), lang: document.documentElement.lang });
  tellWorker({ type: "list", user: body.getAttribute("data-user") });

  function noteOffline() {
    var note = document.querySelector("[data-offline-note]");
    if (note) note.hidden = false;
  }
  if (!navigator.onLine) noteOffline();
  window.addEventListener("offline", noteOffline);
  window.addEventListener("online", function () { tellWorker({ type: "online" }); });

  // The browser offers installing where it can: show the button then, and only then.
  var install = document.getElementById("install-app");
  var offer = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    if (!install) return;
    event.preventDefault();
    offer = event;
    install.hidden = false;
  });
  if (install) {
    install.querySelector("button").addEventListener("click", function () {
      if (!offer) return;
      offer.prompt();
      offer.userChoice.finally(function () {
        offer = null;
        install.hidden = true;
      });
    });
  }
})();
