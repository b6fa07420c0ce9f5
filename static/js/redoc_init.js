// Starts Redoc on /api/redoc/ (templates/api_docs/redoc.html) with the schema URL and the settings from the
// container's data attributes: a static script, so the page needs no inline script.
(function () {
  const container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.schemaUrl, JSON.parse(container.dataset.settings), container);
})();
