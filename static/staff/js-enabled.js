// Loaded before the page is drawn (not deferred): styles that need scripts
// apply from the first paint. A file, not an inline script: the pages'
// Content-Security-Policy allows scripts from /static/ only.
document.documentElement.classList.add("js");
