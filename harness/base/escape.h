/* escape.h — the one escaper: strings that come from a run or a user (titles, console text, case
 * names, paths, guest names) written into HTML, XML (the reports, JUnit, libvirt's domain and
 * volume descriptions), URLs and Markdown so that they come out as inert text.
 *
 * Every escaper also repairs the text: invalid UTF-8 and characters XML 1.0 forbids (C0 controls
 * other than tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so that a console
 * excerpt full of garbage still makes a well-formed document. NULL writes nothing. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Text or a double- or single-quoted attribute value in HTML: & < > " ' become references. */
void escape_html(FILE *f, const char *s);
/* XML character data: & < > become references ("]]>" cannot survive: > is always escaped). */
void escape_xml_text(FILE *f, const char *s);
/* XML attribute value: as text, plus " ' and tab/newline/CR as character references so that
 * attribute-value normalisation keeps them. */
void escape_xml_attr(FILE *f, const char *s);
/* A relative path as a URL path: everything but unreserved characters and '/' percent-encoded,
 * so the result is also safe inside an HTML attribute without further escaping. */
void escape_url_path(FILE *f, const char *s);
/* Markdown inline text (e.g. a table cell): ASCII punctuation that means something in CommonMark
 * or GitHub tables is backslash-escaped, newlines become spaces. */
void escape_markdown(FILE *f, const char *s);
/* A Markdown code span around s, with a backtick fence longer than any run inside s. In a table
 * cell (in_table), '|' is written as "\|", which GitHub tables require even inside code. */
void escape_markdown_code(FILE *f, const char *s, bool in_table);

/* The same escapers into a new string (for tests and small values). Caller frees. */
char *escape_html_str(const char *s);
char *escape_xml_text_str(const char *s);
char *escape_xml_attr_str(const char *s);
char *escape_markdown_str(const char *s);
