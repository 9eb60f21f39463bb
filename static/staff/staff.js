// Small enhancements; every page works without them.
document.addEventListener("change", function (event) {
  var form = event.target.closest("form.auto-submit");
  if (form) form.submit();
});
