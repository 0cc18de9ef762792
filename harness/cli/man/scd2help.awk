# scd2help.awk — the --help text of faultline and of each command, from the scdoc sources of
# their man pages, as a C table (see cli-help.h): one source of truth for both.
#
#   awk -f scd2help.awk faultline.1.scd faultline-run.1.scd ... > cli-help-text.c
#
# Of each page, --help shows SYNOPSIS (as "Usage:"), DESCRIPTION, COMMANDS, OPTIONS and
# EXIT STATUS; the other sections are the man page's alone. Paragraphs are reflowed to 79
# columns, ``` blocks kept as written, and an entry of a term list (a line, then lines indented
# by a tab) becomes "  TERM  description", options aligned at column 23 as getopt's users expect.
# The scdoc markup kept apart from words (*bold*, _underlined_, \* \_ \\ escapes) is removed.

BEGIN {
	width = 79
	print "/* Generated from the man pages (harness/cli/man/, scdoc) by scd2help.awk: edit the man pages, not this. */"
	print "#include \"cli-help.h\""
	print ""
	print "const struct cli_help_page cli_help_pages[] = {"
}

function strip(s,    out, c, prev, next_c, i, n) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < n) {
			out = out substr(s, i + 1, 1)
			i++
			continue
		}
		prev = i > 1 ? substr(s, i - 1, 1) : " "
		next_c = i < n ? substr(s, i + 1, 1) : " "
		# scdoc formats with * and _ only where they open or close a word
		if ((c == "*" || c == "_") && (prev !~ /[A-Za-z0-9]/ || next_c !~ /[A-Za-z0-9]/))
			continue
		out = out c
	}
	return out
}

# Append TEXT reflowed to the help being built: the first line starts with FIRST, the others
# with NEXT.
function wrap(text, first, next_prefix,    words, n, i, line, lead) {
	n = split(text, words, /[ \t]+/)
	line = first
	lead = 1
	for (i = 1; i <= n; i++) {
		if (words[i] == "")
			continue
		if (!lead && length(line) + 1 + length(words[i]) > width) {
			emit(line)
			line = next_prefix words[i]
		} else {
			line = line (lead ? "" : " ") words[i]
		}
		lead = 0
	}
	emit(line)
}

function emit(line) {
	if (need_blank && help != "")
		help = help "\n"
	need_blank = 0
	sub(/[ \t]+$/, "", line)
	help = help line "\n"
}

function pad(s, col,    out) {
	out = s
	while (length(out) < col)
		out = out " "
	return out
}

# A finished paragraph or term-list entry goes into the help.
function flush(    col, pre) {
	if (entry_term != "" && entry_desc == "") {
		para = entry_term
		entry_term = ""
	}
	if (para != "") {
		if (n_paras++ || section == "OPTIONS" || section == "COMMANDS")
			need_blank = 1
		if (section == "EXIT STATUS" && n_paras == 1)
			wrap(para, "Exit status: ", "")
		else
			wrap(para, "", "")
		para = ""
	}
	if (entry_term != "") {
		if (section == "COMMANDS") {
			pre = "  "
			col = 13
		} else {
			pre = entry_term ~ /^--/ ? "      " : "  "
			col = 23
		}
		if (length(pre entry_term) + 2 > col) {
			emit(pre entry_term)
			wrap(entry_desc, pad("", col), pad("", col))
		} else {
			wrap(entry_desc, pad(pre entry_term, col), pad("", col))
		}
		entry_term = entry_desc = ""
	}
}

function heading(name) {
	if (name == "COMMANDS")
		return "Commands:"
	if (name == "OPTIONS")
		return "Options:"
	return ""
}

function end_page(    key) {
	if (FNR_page == "")
		return
	flush()
	key = FNR_page
	printf "    {\"%s\",\n", key
	n = split(help, lines, "\n")
	for (i = 1; i < n; i++) {
		line = lines[i]
		gsub(/\\/, "\\\\", line)
		gsub(/"/, "\\\"", line)
		printf "     \"%s\\n\"%s\n", line, i == n - 1 ? "}," : ""
	}
}

function start_page(file,    base) {
	base = file
	sub(/.*\//, "", base)
	sub(/\.1\.scd$/, "", base)
	if (base == "faultline")
		FNR_page = "faultline"
	else
		FNR_page = substr(base, length("faultline-") + 1)
	help = section = para = entry_term = entry_desc = ""
	fenced = need_blank = n_paras = usage_lines = 0
}

FNR == 1 {
	end_page()
	start_page(FILENAME)
	next
}

# A fence is tracked in every section, so that a "# " line in an example is not a heading.
/^```/ {
	if (section_shown(section))
		flush()
	fenced = !fenced
	next
}
fenced {
	if (section_shown(section))
		emit("  " $0)
	next
}

/^# / {
	flush()
	section = substr($0, 3)
	n_paras = 0
	if (section_shown(section)) {
		need_blank = 1
		if (heading(section) != "")
			emit(heading(section))
	}
	next
}

!section_shown(section) {
	next
}

/^[ \t]*$/ {
	flush()
	next
}

section == "SYNOPSIS" {
	emit((usage_lines++ ? "   or: " : "Usage: ") strip($0))
	next
}

section == "OPTIONS" || section == "COMMANDS" {
	if (/^\t/) {
		line = $0
		sub(/^\t+/, "", line)
		entry_desc = entry_desc " " strip(line)
	} else if (entry_term != "" && entry_desc == "") {
		# two lines without a tab: not a term but a paragraph
		para = entry_term " " strip($0)
		entry_term = ""
	} else if (para != "") {
		para = para " " strip($0)
	} else {
		flush()
		entry_term = strip($0)
	}
	next
}

{
	para = para " " strip($0)
}

END {
	end_page()
	print "    {0},"
	print "};"
}

function section_shown(name) {
	return name == "SYNOPSIS" || name == "DESCRIPTION" || name == "COMMANDS" ||
	       name == "OPTIONS" || name == "EXIT STATUS"
}
