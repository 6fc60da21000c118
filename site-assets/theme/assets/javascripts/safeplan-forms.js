// safeplan forms (render/site/forms.py): the 打印 buttons, and the school's name in the 学校 field when a
// checklist or drill is opened from the school's page. A file, since the page policy forbids inline script.
(() => {
  "use strict";
  const school = new URLSearchParams(location.search).get("school");
  if (school) {
    for (const cell of document.querySelectorAll("[data-sp-school]")) cell.textContent = school;
  }
  for (const button of document.querySelectorAll("[data-sp-print]")) {
    button.addEventListener("click", () => {
      document.body.dataset.spPrint = button.dataset.spPrint; // which form prints alone (safeplan.css)
      window.print();
    });
  }
  window.addEventListener("afterprint", () => delete document.body.dataset.spPrint);
  // Material wraps wide tables in a scrolling box at run time: one a keyboard can reach and a screen reader can name
  const reachable = () => {
    for (const box of document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])")) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "表格（可横向滚动）");
    }
  };
  new MutationObserver(reachable).observe(document.body, { childList: true, subtree: true });
  reachable();
  // on a school's page, its checklists and drills open with the school's name filled in
  const named = document.querySelector("[data-sp-school-name]");
  if (named) {
    for (const link of document.querySelectorAll('article a[href*="checklists/"], article a[href*="drills/"]')) {
      const url = new URL(link.href, location.href);
      if (url.pathname.endsWith("/checklists/") || url.pathname.endsWith("/drills/")) continue;
      url.searchParams.set("school", named.dataset.spSchoolName);
      link.href = url.href;
    }
  }
})();
