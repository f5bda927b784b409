// Starts Swagger UI on /docs. A file rather than an inline script: the page's policy allows
// scripts from Varsel itself only (app/http_security.py), and this needs no exception.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    displayOperationId: true,
    showExtensions: true,
    showCommonExtensions: true,
    defaultModelsExpandDepth: 0,
    // The online validator badge would call a host outside Varsel.
    validatorUrl: null
  });
}());
