/* The admin's periodic-task form (django-celery-beat): under the crontab field, say in words when
   the chosen crontab runs. Replaces the library's inline script, which the CSP refuses. */
(function () {
  "use strict";
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  if (!data || !select) { return; }
  var readable = JSON.parse(data.textContent);
  var help = document.querySelector(".field-crontab .help");
  var original = help ? help.textContent : "";
  var translation = document.querySelector(".field-crontab_translation");
  if (translation) { translation.hidden = true; }
  function update() {
    if (!help) { return; }
    var words = readable[select.value];
    help.textContent = words ? original + " — " + words : original;
  }
  select.addEventListener("change", update);
  update();
})();
