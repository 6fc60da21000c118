// safeplan search: Pagefind (build/site/pagefind/) behind Material's search dialog (partials/search.html).
// Nothing of the index is fetched until the dialog opens; each query then fetches only the index chunks
// and result fragments it needs. The page policy forbids inline script and eval: this is a plain file,
// and Pagefind's WebAssembly runs under script-src 'wasm-unsafe-eval'.
(() => {
  "use strict";
  const dialog = document.querySelector("[data-sp-search]");
  const toggle = document.getElementById("__search");
  if (!dialog || !toggle) return;
  const input = dialog.querySelector("input[name=query]");
  const meta = dialog.querySelector(".md-search-result__meta");
  const list = dialog.querySelector(".md-search-result__list");
  const root = new URL(dialog.dataset.spBase || ".", location.href);
  const SHOWN = 10;
  const CANDIDATES = 20; // results whose fragments are fetched and ranked again; the rest keep Pagefind's order
  const NOT_CURRENT = 0.6; // a draft, a plan under review or a retired one ranks below a current one that matches as well
  const RANKING = { termSaturation: 0.6, pageLength: 0.3 }; // chosen by bench/bench_search.py
  let engine = null;
  let latest = 0;

  function load() {
    if (!engine) {
      engine = import(new URL("pagefind/pagefind.js", root).href).then(async (pagefind) => {
        await pagefind.options({ baseUrl: root.pathname, ranking: RANKING });
        await pagefind.init();
        return pagefind;
      });
    }
    return engine;
  }

  // Chinese is indexed as overlapping character pairs (render/site/search_index.py): write the query the same way,
  // pairing within the words the browser finds (消防演练 → 消防 演练, never the 防演 no page has), and joining the
  // single characters it leaves (预/案 → 预案).
  const CJK = /^[\u3400-\u9fff\uf900-\ufaff]+$/;
  const words = typeof Intl.Segmenter === "function" ? new Intl.Segmenter("zh", { granularity: "word" }) : null;
  function paired(run) {
    if (run.length < 2) return [run];
    const out = [];
    for (let i = 0; i < run.length - 1; i++) out.push(run.slice(i, i + 2));
    return out;
  }
  function pairs(text) {
    const pieces = words ? [...words.segment(text)].map((s) => s.segment) : text.split(/(\s+)/);
    const out = [];
    let single = "";
    for (const piece of pieces) {
      if (CJK.test(piece) && piece.length === 1) {
        single += piece;
        continue;
      }
      if (single) out.push(...paired(single));
      single = "";
      if (CJK.test(piece)) out.push(...paired(piece));
      else if (piece.trim()) out.push(piece.trim());
    }
    if (single) out.push(...paired(single));
    return out.join(" ");
  }

  // How people type → how the pages are written: 一小时 → 1 小时, 三分钟 → 3 分钟, QD13 → QD-13.
  const COUNTS = /^[一二两三四五六七八九十几]个$/;
  const NUMERALS = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10, 半: 0.5 };
  function normalise(query) {
    return query
      .replace(/([一二两三四五六七八九十半])(个)?(小时|分钟|秒|天|日|周|月)/g, (_, n, _ge, unit) => ` ${NUMERALS[n]} ${unit} `)
      .replace(/\b([A-Za-z]{2,4})-?(\d{1,2})\b/g, "$1 $2")
      .replace(/[^\p{L}\p{N}\s]/gu, " ") // punctuation: WJJY-QD-13 → WJJY QD 13, 三个100% → 三个100
      .replace(/[了吗呢啊吧]/g, " ") // 着火了 → 着火
      .replace(/\s+/g, " ")
      .trim();
  }

  // A page whose title names what was asked comes first, the more specific title (the shorter) before the longer:
  // 火灾 → 火灾事故专项应急预案 before 学生宿舍夜间火灾现场处置方案. People's words for the words titles use:
  const TITLE_WORDS = { 着火: "火灾", 起火: "火灾", 失火: "火灾", 消防: "火灾", 受伤: "伤害", 晕倒: "伤害", 落水: "溺水", 闯入: "侵害" };
  // A hazard's own plan before the drill and the checklist about it.
  const KIND_WEIGHT = { plans: 1.5 };
  function coverage(text, terms) {
    if (!text || !terms.length) return 0;
    return terms.filter((t) => text.includes(t) || (TITLE_WORDS[t] && text.includes(TITLE_WORDS[t]))).length / terms.length;
  }
  function boost(data, terms) {
    const cjk = terms.filter((t) => CJK.test(t));
    const title = data.meta.title || "";
    const covered = coverage(title, cjk);
    const specific = Math.min(1, (covered * cjk.length + 1) * 2 / Math.max(title.length, 1));
    const section = new URL(data.url, location.href).pathname.slice(root.pathname.length).split("/")[0];
    return (1 + 4 * covered + 4 * covered * specific) * (KIND_WEIGHT[section] || 1);
  }

  function show(text) {
    meta.textContent = text;
  }

  function item(result) {
    const li = document.createElement("li");
    li.className = "md-search-result__item";
    const link = document.createElement("a");
    link.className = "md-search-result__link";
    link.href = result.url;
    const article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    const title = document.createElement("h1");
    title.textContent = result.meta.title || result.url;
    article.append(title);
    const status = result.meta.status;
    if (status) {
      const badge = document.createElement("span");
      badge.className = `sp-status sp-status--${result.meta.status_id || "approved"}`;
      badge.textContent = status;
      article.append(badge);
    }
    if (result.meta.summary) {
      const summary = document.createElement("p");
      summary.textContent = result.meta.summary;
      article.append(summary);
    }
    link.append(article);
    li.append(link);
    return li;
  }

  async function run() {
    const terms = pairs(normalise(input.value)).split(" ").filter(Boolean);
    // a count word (三个, 两个) is in the index with almost no weight and keeps pages out: rank titles with it only
    const asked = terms.filter((t) => !COUNTS.test(t));
    const query = (asked.length ? asked : terms).join(" ");
    const ticket = ++latest;
    if (!query) {
      list.replaceChildren();
      show("输入关键词开始搜索");
      return;
    }
    show("正在搜索…");
    const pagefind = await load();
    const found = await pagefind.debouncedSearch(query, {}, 150);
    if (found === null || ticket !== latest) return; // a newer keystroke took over
    const loaded = await Promise.all(found.results.slice(0, CANDIDATES).map(async (r) => ({ score: r.score, data: await r.data() })));
    if (ticket !== latest) return;
    const ranked = loaded
      .map(({ score, data }) => ({
        data,
        score: score * boost(data, terms) * (data.meta.status_id && data.meta.status_id !== "approved" ? NOT_CURRENT : 1),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, SHOWN);
    list.replaceChildren(...ranked.map(({ data }) => item(data)));
    const total = found.results.length;
    show(total ? `找到 ${total} 个结果${total > SHOWN ? `，显示前 ${SHOWN} 个` : ""}` : "没有找到结果：换个说法试试，如“火灾”“校车”“溺水”或学校简称");
  }

  toggle.addEventListener("change", () => {
    if (toggle.checked) {
      load();
      setTimeout(() => input.focus(), 50);
    }
  });
  input.addEventListener("focus", () => {
    // on a wide screen the box sits in the header: typing in it opens the dialog, as in Material
    if (!toggle.checked) toggle.checked = true;
    load();
  });
  input.addEventListener("input", run);
  dialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const first = list.querySelector("a");
    if (first) location.href = first.href;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.checked) {
      toggle.checked = false;
      input.blur();
    } else if (event.key === "/" && !toggle.checked && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      event.preventDefault();
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
  });
})();
