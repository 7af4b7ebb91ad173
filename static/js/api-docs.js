// Renders the API reference from the OpenAPI document served by the site itself.
addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("api-reference");
  if (!node || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: node.getAttribute("data-spec-url"),
    domNode: node,
    deepLinking: false,  // its anchors sit inside buttons (nested controls)
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    validatorUrl: null
  });
});
