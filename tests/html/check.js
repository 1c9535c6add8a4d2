// Opens an amilint HTML report in headless Chromium (Debian's /usr/bin/chromium)
// and reports what a person sees: the summary, the chart bars, the table rows
// before and after filtering, sorting and the image detail. Any exception, or a
// network request of any kind, exits 1. Usage: node check.js REPORT.html SHOT.png FILTER
// (screenshots: SHOT at 1,400 px wide, and SHOT with -800 before .png at 800 px).
"use strict";
const { chromium } = require("playwright-core");

(async () => {
  const [report, shot, needle] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  page.on("pageerror", e => problems.push("page error: " + e.message));
  page.on("console", m => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("request", r => { if (!r.url().startsWith("file:")) problems.push("network: " + r.url()); });
  page.on("dialog", d => { problems.push("dialog: " + d.message()); d.dismiss(); });
  await page.goto("file://" + report);

  const rows = () => page.$$eval("#findings tbody tr", trs => trs.map(tr => ({
    image: tr.dataset.image, severity: tr.dataset.severity })));
  const seen = {};
  const number = text => Number(text.replace(/,/g, ""));
  seen.total = number(await page.textContent("#total b"));
  seen.bySeverity = {};
  for (const s of ["critical", "high", "medium", "low", "info"]) {
    seen.bySeverity[s] = number(await page.textContent(`#count-${s} b`));
  }
  seen.meta = await page.textContent("#meta");
  seen.gate = await page.textContent("#verdict");
  seen.bars = await page.$$eval("#chart-severity rect", rs => rs.map(r => Number(r.dataset.count)));
  seen.ruleBars = await page.$$eval("#chart-rule rect", rs => rs.map(r => ({ rule: r.dataset.key, count: Number(r.dataset.count) })));
  seen.ruleLabels = await page.$$eval("#chart-rule text.label", ts => ts.map(t => t.textContent));
  seen.topImages = await page.$$eval("#top tbody tr", trs => trs.map(tr => tr.dataset.image));
  // The layout at 1,400 px: nothing wider than the window, the message column the widest.
  const layout = () => page.evaluate(() => {
    const width = c => document.querySelector(`#findings thead th[data-key=${c}]`).getBoundingClientRect().width;
    return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      image: width("image"), message: width("message") };
  });
  seen.layout1400 = await layout();
  seen.rows = (await rows()).length;
  seen.firstSeverity = (await rows())[0]?.severity ?? null;
  seen.injected = await page.$$eval("img, iframe, object, embed", els => els.length);
  seen.pageTextHasScript = (await page.textContent("#findings")).includes("<script>");

  await page.fill("#filter", needle);
  seen.filtered = await rows();
  await page.fill("#filter", "");
  await page.selectOption("#severity", "critical");
  seen.critical = (await rows()).length;
  await page.selectOption("#severity", "");
  // What uses each image: the card, the filter, the column's sort.
  seen.inUseCard = (await page.$("#in-use b")) ? Number(await page.textContent("#in-use b")) : null;
  await page.check("#only-in-use");
  seen.inUse = await rows();
  await page.uncheck("#only-in-use");
  await page.click("th[data-key=in_use]");
  await page.click("th[data-key=in_use]");
  seen.mostUsedFirst = (await rows())[0]?.image ?? null;
  await page.click("th[data-key=severity]"); // back to most severe first
  await page.click("th[data-key=severity]");
  seen.reversedFirst = (await rows())[0]?.severity ?? null;
  // A chart bar is a filter.
  const firstRule = seen.ruleBars[0].rule;
  await page.click(`#chart-rule rect[data-key="${firstRule}"]`);
  seen.ruleFilter = { rule: firstRule, rows: await page.$$eval("#findings tbody tr", trs => trs.length),
    selected: await page.inputValue("#rule") };
  await page.selectOption("#rule", "");
  await page.click("#chart-severity rect[data-key=critical]");
  seen.severityFilter = await page.inputValue("#severity");
  await page.selectOption("#severity", "");
  // The image panel opens in view, wherever the row is.
  await page.click(`#findings tbody tr[data-image="${needle}"] td.image`);
  seen.detailHeading = await page.textContent("#detail-heading");
  seen.detailInView = await page.evaluate(() => {
    const r = document.getElementById("detail").getBoundingClientRect();
    return r.left >= 0 && r.right <= window.innerWidth + 1 && r.top >= 0 && r.top < window.innerHeight && r.width > 300;
  });
  seen.remediations = await page.$$eval("#detail .remediation", ds => ds.map(d => d.textContent));
  seen.remediationCode = await page.$$eval("#detail .remediation code", cs => cs.length);
  await page.screenshot({ path: shot.replace(/\.png$/, "-detail.png") });
  await page.keyboard.press("Escape");
  seen.detailClosed = await page.$eval("#detail", d => d.hidden);

  await page.fill("#filter", "");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shot, fullPage: true });
  await page.setViewportSize({ width: 800, height: 1000 });
  seen.layout800 = await layout();
  await page.screenshot({ path: shot.replace(/\.png$/, "-800.png"), fullPage: true });
  seen.problems = problems;
  await browser.close();
  console.log(JSON.stringify(seen));
})().catch(e => { console.error(e); process.exit(1); });
