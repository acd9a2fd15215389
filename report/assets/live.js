// Live dashboard: the server pushes the state once a second as a
// server-sent event; charts arrive as SVG drawn (and escaped) by the
// server, numbers as text. Nothing else is fetched.
(function () {
  "use strict";
  var es = new EventSource("events");
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }
  es.addEventListener("state", function (ev) {
    var s = JSON.parse(ev.data);
    ["phase", "elapsed", "users", "requests", "failures", "rps", "p95", "status"].forEach(function (k) {
      set("v-" + k, s[k]);
    });
    document.getElementById("v-phase").className = "badge " + s.badge;
    Object.keys(s.charts || {}).forEach(function (id) {
      var el = document.getElementById("box-" + id);
      if (!el) { // the app's charts start with its second reading
        el = document.createElement("div");
        el.className = "panel";
        el.id = "box-" + id;
        document.getElementById("charts").appendChild(el);
      }
      el.innerHTML = s.charts[id];
    });
    if (s.done) {
      es.close(); // the server stops with the run: do not reconnect
      document.body.classList.add("done");
      if (s.keep) { window.location.reload(); } // the page becomes the full report
    }
  });
  es.onerror = function () { set("v-status", "connection lost; the run may have ended"); };
})();
