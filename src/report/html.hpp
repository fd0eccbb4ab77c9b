// Small HTML building blocks for the report: escaping, tables and the page skeleton.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nnlab::html {

/// `text` with &, <, >, " and ' replaced by entities; safe in element text and attributes.
std::string escape(std::string_view text);

enum class Sort { none, by_column };

/// A <table>: `header` cells become <th>, each row's cells <td>. Cells are HTML already (callers
/// escape text); cells that look numeric are right-aligned by the stylesheet's .num class.
/// Sort::by_column: a click on a header sorts the rows by that column (page() adds the script).
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, Sort sort = Sort::none);

/// `text` as an id: lower-case letters and digits, anything else '-'.
std::string slug(std::string_view text);

/// <hN id="slug(title)">escaped title</hN>
std::string heading(int level, std::string_view title);
/// <hN id="id">escaped title</hN>
std::string heading(int level, std::string_view title, std::string_view id);

/// The whole document: <!DOCTYPE html>, <head> with the title and the inline stylesheet, then
/// `body`. No external resources; no script unless `body` holds a sortable table, which gets the
/// one inline script that sorts it.
std::string page(std::string_view title, const std::string& body);

}  // namespace nnlab::html
