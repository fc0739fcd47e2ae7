// The case page's tabs are plain links that htmx loads into #tab-panel: mark the one just opened
// as the current page (the links stay in place, so keyboard focus stays where it was).
document.addEventListener("htmx:afterSwap", function (event) {
  var config = event.detail.requestConfig;
  var link = config && config.elt;
  if (!link || !link.closest) return;
  var tabs = link.closest(".tabs");
  if (!tabs) return;
  tabs.querySelectorAll("a[aria-current]").forEach(function (other) {
    other.removeAttribute("aria-current");
  });
  link.setAttribute("aria-current", "page");
});
