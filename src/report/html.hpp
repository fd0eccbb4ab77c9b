// Small HTML building blocks for the report: escaping, tables and the page skeleton.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nnlab::html {

/// `text` with &, <, >, " and ' replaced by entities; safe in element text and attributes.
std::string escape(std::string_view text);

/// A <table>: `header` cells become <th>, each row's cells <td>. Cells are HTML already (callers
/// escape text); cells that look numeric are right-aligned by the stylesheet's .num class.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

/// `text` as an id: lower-case letters and digits, anything else '-'.
std::string slug(std::string_view text);

/// <hN id="slug(title)">escaped title</hN>
std::string heading(int level, std::string_view title);
/// <hN id="id">escaped title</hN>
std::string heading(int level, std::string_view title, std::string_view id);

/// The whole document: <!DOCTYPE html>, <head> with the title and the inline stylesheet, then
/// `body`. No scripts, no external resources.
std::string page(std::string_view title, const std::string& body);

}  // namespace nnlab::html
