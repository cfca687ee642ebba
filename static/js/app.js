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
})();
