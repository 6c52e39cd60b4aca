// Runs in <head> before the page paints: apply a theme chosen with the header toggle.
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("cct-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) {
    /* storage unavailable: follow the system */
  }
})();
