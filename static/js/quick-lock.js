// Quick lock (issue 5): the header's Lock button, or Esc pressed twice within a second, hides
// the page at once (a neutral full-screen cover, the main content removed) and then ends the
// session on the server; the browser lands on the sign-in page. No inline script: see base.html.
(function () {
  "use strict";
  var DOUBLE_PRESS_MS = 1000;
  var lastEscape = 0;
  var locking = false;

  function hideEverything() {
    var cover = document.createElement("div");
    cover.className = "quick-lock-cover";
    cover.setAttribute("role", "status");
    cover.setAttribute("data-quick-lock", "cover");
    document.body.appendChild(cover);
    var main = document.getElementById("main");
    if (main) main.replaceChildren();
    document.querySelectorAll("body > :not(.quick-lock-cover)").forEach(function (element) {
      element.hidden = true;
    });
    document.title = "SRP WomenAid";
  }

  function lock() {
    if (locking) return;
    locking = true;
    var form = document.getElementById("quick-lock");
    if (!form) return;
    var action = form.action;
    var signIn = form.getAttribute("data-sign-in");
    hideEverything();
    var done = function () {
      window.location.replace(signIn);
    };
    // The lock answers 204 with Clear-Site-Data; whatever happens, go to the sign-in page.
    fetch(action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Quick-Lock": "1" },
      cache: "no-store",
    }).then(done, done);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape <= DOUBLE_PRESS_MS) {
      lock();
    }
    lastEscape = now;
  });

  document.addEventListener("submit", function (event) {
    if (event.target && event.target.id === "quick-lock") {
      event.preventDefault();
      lock();
    }
  });
})();
