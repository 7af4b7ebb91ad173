// The one-line snippet partners paste:
//   <script src="https://…/static/js/embed.js" data-eventi-src="https://…/embed/events?project=…" async></script>
// inserts an iframe showing that embed right where the script stands and keeps its
// height matched to the content (messages from that iframe only).
(function () {
  var script = document.currentScript;
  if (!script) return;
  var src = script.getAttribute("data-eventi-src");
  if (!src) return;
  var origin = new URL(src, location.href).origin;
  var frame = document.createElement("iframe");
  frame.src = src;
  frame.title = script.getAttribute("data-eventi-title") || "Eventi";
  frame.loading = "lazy";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.minHeight = "120px";
  frame.setAttribute("scrolling", "no");
  script.parentNode.insertBefore(frame, script.nextSibling);
  addEventListener("message", function (e) {
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var data = e.data || {};
    if (data.type === "eventi-embed-height" && typeof data.height === "number") {
      frame.style.height = Math.min(Math.max(data.height, 60), 10000) + "px";
    }
  });
})();
