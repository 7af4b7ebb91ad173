// Inside an Eventi embed: tells the page around the iframe how tall the content is,
// so embed.js can size the frame without a scroll bar.
(function () {
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "eventi-embed-height", height: height }, "*");
    }
  }
  addEventListener("load", report);
  addEventListener("resize", report);
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
  report();
})();
