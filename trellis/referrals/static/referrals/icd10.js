// Pick an ICD-10-CM code from the htmx result list into the code input (keyboard: Tab to a result, Enter).
document.addEventListener("click", function (event) {
  var button = event.target.closest(".js-icd-pick");
  if (!button) return;
  var input = document.getElementById("id_code");
  if (input) { input.value = button.dataset.code; input.focus(); }
  var list = document.getElementById("icd-results");
  if (list) list.innerHTML = "";
});
