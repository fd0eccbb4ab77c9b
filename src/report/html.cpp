#include "report/html.hpp"

#include <fmt/format.h>

#include <cctype>

namespace nnlab::html {
namespace {

// Kept short and plain: the report must read well printed and without any network access.
constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #1f4e9c; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { margin-top: 1.5em; color: #1f4e9c; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #eef2f8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.grid { display: flex; flex-wrap: wrap; gap: 6px; }
figure { margin: 0; text-align: center; font-size: 12px; }
figure img { image-rendering: pixelated; border: 1px solid #ddd; }
figure.plate { display: table; margin: .5em 0 1.2em; text-align: left; }
figure.plate figcaption { display: table-caption; caption-side: bottom; text-align: left;
                          min-width: 30em; font-size: 13px; color: #444; padding-top: 4px; }
.better { color: #1a7f37; } .worse { color: #b42318; }
.muted { color: #777; }
nav.toc { background: #f6f8fb; border: 1px solid #dde3ee; padding: .4em 1.2em; margin: 1em 0; }
nav.toc ol { margin: .3em 0; padding-left: 1.4em; } nav.toc li { margin: .1em 0; }
table.env th { width: 14em; } table.env td { font-family: ui-monospace, monospace; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[data-dir=asc]::after { content: " \25B2"; }
table.sortable th[data-dir=desc]::after { content: " \25BC"; }
)";

// The report's one script, on pages that hold a sortable table: a click on a column's header
// sorts the rows by it (numbers as numbers, "1,234" and "0.98 ± 0.01" by their first number;
// empty and "–" cells last), a second click reverses. Inline, so the page stays one file.
constexpr const char* kSortScript = R"(
for (const table of document.querySelectorAll('table.sortable')) {
  const heads = table.rows[0].cells;
  for (let i = 0; i < heads.length; ++i) heads[i].addEventListener('click', () => {
    const up = heads[i].dataset.dir !== 'asc';
    for (const h of heads) delete h.dataset.dir;
    heads[i].dataset.dir = up ? 'asc' : 'desc';
    const key = (row) => {
      const text = row.cells[i].textContent.trim();
      if (text === '' || text === '\u2013') return null;
      const n = /^[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(text);
      return n ? parseFloat(n[0].replace(/,/g, '')) : text;
    };
    const rows = Array.from(table.rows).slice(1);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === null || y === null) return (x === null) - (y === null);
      if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    for (const row of rows) row.parentNode.appendChild(row);
  });
}
)";

// A number, or a number with a parenthesized note after it: a run's own score where it lacks
// the study's ("0.0112 (mse)", summary_table.hpp's with_score_name).
bool looks_numeric(std::string_view cell) {
  if (const size_t note = cell.find(" ("); note != std::string_view::npos && cell.ends_with(')'))
    cell = cell.substr(0, note);
  if (cell.empty()) return false;
  for (char c : cell) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isdigit(u) && std::string_view("+-.,eE%±&;#x ").find(c) == std::string_view::npos)
      return false;
  }
  return std::isdigit(static_cast<unsigned char>(cell.front())) || cell.front() == '-' ||
         cell.front() == '+' || cell.front() == '.';
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, Sort sort) {
  std::string out = sort == Sort::by_column ? "<table class=\"sortable\">\n<tr>" : "<table>\n<tr>";
  for (const std::string& h : header) out += "<th>" + h + "</th>";
  out += "</tr>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row)
      out += (looks_numeric(cell) ? "<td class=\"num\">" : "<td>") + cell + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string slug(std::string_view text) {
  std::string id;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    id += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  return id;
}

std::string heading(int level, std::string_view title) {
  return heading(level, title, slug(title));
}

std::string heading(int level, std::string_view title, std::string_view id) {
  return fmt::format("<h{0} id=\"{1}\">{2}</h{0}>\n", level, escape(id), escape(title));
}

std::string page(std::string_view title, const std::string& body) {
  const bool sortable = body.find("<table class=\"sortable\">") != std::string::npos;
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}{}</body>\n</html>\n",
      escape(title), kStyle, body,
      sortable ? fmt::format("<script>{}</script>\n", kSortScript) : "");
}

}  // namespace nnlab::html
