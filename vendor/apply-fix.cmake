# Applies fixes (*.fix, a superset of tests/planted/*.plant) to a Mosquitto tree, in place.
#   cmake -DFIX=<a.fix>[;<b.fix>...] -DTREE=<tree to modify> -P vendor/apply-fix.cmake
#
# A fix file (lines starting with '#' are comments):
#   file src/handle_disconnect.c          the file (relative to the tree) of the hunks after it
#   find <line>                           one or more consecutive find lines: one block that must
#   find <line>                             occur EXACTLY ONCE in the file as it is at that point
#   replace <line>                        zero or more replace lines: the new block (none = delete)
# `\t` in a find/replace line is a tab; `find` / `replace` followed by nothing is an empty line.
# A blank or comment line ends a hunk. Hunks and fixes apply in the order given; a block must not
# touch a line that an earlier hunk (of any fix) replaced: that fails, naming both.
# All or nothing: the tree is written only when every hunk of every fix applied.
#
# Why not list(): file(STRINGS) and CMake lists mangle C lines with ';' and unbalanced '[', so the
# fix and the sources are walked as plain strings.
cmake_minimum_required(VERSION 3.20)
if(NOT DEFINED FIX OR NOT DEFINED TREE)
  message(FATAL_ERROR "usage: cmake -DFIX=<a.fix>[;<b.fix>] -DTREE=<mosquitto tree> -P apply-fix.cmake")
endif()

# Marks each replaced line while fixes are applied, so a later block over it cannot match.
set(MQSIM_FIXED_MARK "@@MQSIM_FIXED@@")
set(MQSIM_FIX_MAX_LINES 5000)
set(mqsim_fix_touched "")   # rel paths loaded so far; content in mqsim_fix_text_<index>

# State while a fix is read (macros share the caller's scope; none takes text as an argument,
# since a macro would re-evaluate the backslashes of C lines such as "\\n"):
#   mqsim_fix        the fix file      mqsim_fix_rel    its current `file`
#   mqsim_fix_line   the line read     mqsim_fix_line_no, mqsim_fix_hunks
#   mqsim_fix_find / mqsim_fix_replace the hunk being read (has_find / has_replace say if started)

# Loads mqsim_fix_rel of the tree once (a leading "\n" so a block can match the first line);
# sets `mqsim_fix_slot` to the name of the variable holding its text.
macro(mqsim_fix_load)
  list(FIND mqsim_fix_touched "${mqsim_fix_rel}" mqsim_fix_index)
  if(mqsim_fix_index EQUAL -1)
    if(NOT EXISTS "${TREE}/${mqsim_fix_rel}")
      message(FATAL_ERROR "${mqsim_fix}: file ${mqsim_fix_rel} does not exist in ${TREE}")
    endif()
    list(LENGTH mqsim_fix_touched mqsim_fix_index)
    list(APPEND mqsim_fix_touched "${mqsim_fix_rel}")
    file(READ "${TREE}/${mqsim_fix_rel}" mqsim_fix_raw)
    set(mqsim_fix_text_${mqsim_fix_index} "\n${mqsim_fix_raw}")
  endif()
  set(mqsim_fix_slot mqsim_fix_text_${mqsim_fix_index})
endmacro()

# Where `block` occurs in `text`: <out_pos> the first offset (-1 if none), <out_count> 0, 1 or 2
# (2 = at least two, overlapping occurrences included).
function(mqsim_fix_occurrences text block out_pos out_count)
  string(FIND "${text}" "${block}" first)
  set(count 0)
  if(NOT first EQUAL -1)
    set(count 1)
    math(EXPR after "${first} + 1")
    string(SUBSTRING "${text}" ${after} -1 rest)
    string(FIND "${rest}" "${block}" second)
    if(NOT second EQUAL -1)
      set(count 2)
    endif()
  endif()
  set(${out_pos} ${first} PARENT_SCOPE)
  set(${out_count} ${count} PARENT_SCOPE)
endfunction()

# Fails naming the fix, file and hunk: the find block does not occur exactly once.
function(mqsim_fix_fail_block text block count)
  set(why "is not in the file")
  if(count EQUAL 2)
    set(why "occurs more than once (must be exactly once)")
  else()
    string(REPLACE "${MQSIM_FIXED_MARK}" "" unmarked "${text}")
    mqsim_fix_occurrences("${unmarked}" "${block}" ignored count)
    if(NOT count EQUAL 0)
      set(why "overlaps lines that an earlier hunk or fix already replaced")
    endif()
  endif()
  message(FATAL_ERROR "${mqsim_fix}: file ${mqsim_fix_rel}, hunk ${mqsim_fix_hunks} "
    "(ending before line ${mqsim_fix_line_no} of the fix): the find block ${why}:\n${mqsim_fix_find}")
endfunction()

# Applies the hunk just read (find block -> replace block) to the loaded text of mqsim_fix_rel.
macro(mqsim_fix_apply_hunk)
  if(NOT mqsim_fix_has_find)
    message(FATAL_ERROR "${mqsim_fix}:${mqsim_fix_line_no}: 'replace' without a 'find' before it "
      "(file ${mqsim_fix_rel}, hunk ${mqsim_fix_hunks})")
  endif()
  set(mqsim_fix_block "\n${mqsim_fix_find}\n")
  mqsim_fix_occurrences("${${mqsim_fix_slot}}" "${mqsim_fix_block}" mqsim_fix_pos mqsim_fix_count)
  if(NOT mqsim_fix_count EQUAL 1)
    mqsim_fix_fail_block("${${mqsim_fix_slot}}" "${mqsim_fix_block}" ${mqsim_fix_count})
  endif()
  string(LENGTH "${mqsim_fix_block}" mqsim_fix_len)
  math(EXPR mqsim_fix_end "${mqsim_fix_pos} + ${mqsim_fix_len}")
  string(SUBSTRING "${${mqsim_fix_slot}}" 0 ${mqsim_fix_pos} mqsim_fix_head)
  string(SUBSTRING "${${mqsim_fix_slot}}" ${mqsim_fix_end} -1 mqsim_fix_tail)
  set(${mqsim_fix_slot} "${mqsim_fix_head}\n${mqsim_fix_replace}${mqsim_fix_tail}")
endmacro()

# Ends the hunk being read, if any, by applying it.
macro(mqsim_fix_flush)
  if(mqsim_fix_has_find OR mqsim_fix_has_replace)
    math(EXPR mqsim_fix_hunks "${mqsim_fix_hunks} + 1")
    mqsim_fix_apply_hunk()
  endif()
  set(mqsim_fix_find "")
  set(mqsim_fix_replace "")
  set(mqsim_fix_has_find FALSE)
  set(mqsim_fix_has_replace FALSE)
endmacro()

# Adds mqsim_fix_body (a find or replace line's text) to the hunk being read.
macro(mqsim_fix_add_to_hunk kind)
  if(mqsim_fix_rel STREQUAL "")
    message(FATAL_ERROR "${mqsim_fix}:${mqsim_fix_line_no}: '${kind}' before any 'file <path>' line")
  endif()
  if("${kind}" STREQUAL "find")
    if(mqsim_fix_has_replace)
      mqsim_fix_flush()
    endif()
    if(mqsim_fix_has_find)
      string(APPEND mqsim_fix_find "\n")
    endif()
    string(APPEND mqsim_fix_find "${mqsim_fix_body}")
    set(mqsim_fix_has_find TRUE)
  else()
    string(APPEND mqsim_fix_replace "${MQSIM_FIXED_MARK}${mqsim_fix_body}\n")
    set(mqsim_fix_has_replace TRUE)
  endif()
endmacro()

# Reads mqsim_fix_line: `file`, `find`, `replace`, or a comment/blank line (which ends a hunk).
macro(mqsim_fix_read_line)
  if(mqsim_fix_line MATCHES "^file (.+)$")
    set(mqsim_fix_next_rel "${CMAKE_MATCH_1}")
    mqsim_fix_flush()
    set(mqsim_fix_rel "${mqsim_fix_next_rel}")
    mqsim_fix_load()
  elseif(mqsim_fix_line MATCHES "^(find|replace)( |$)")
    set(mqsim_fix_kind "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "^(find|replace) ?" "" mqsim_fix_body "${mqsim_fix_line}")
    string(REPLACE "\\t" "\t" mqsim_fix_body "${mqsim_fix_body}")
    mqsim_fix_add_to_hunk(${mqsim_fix_kind})
  elseif(mqsim_fix_line MATCHES "^[ \t]*(#.*)?$")
    mqsim_fix_flush()
  else()
    message(FATAL_ERROR "${mqsim_fix}:${mqsim_fix_line_no}: not a 'file', 'find', 'replace' or '#' line: ${mqsim_fix_line}")
  endif()
endmacro()

# Applies every hunk of the fix file mqsim_fix to the loaded texts.
macro(mqsim_fix_apply_file)
  if(NOT EXISTS "${mqsim_fix}")
    message(FATAL_ERROR "${mqsim_fix}: no such fix file")
  endif()
  file(READ "${mqsim_fix}" mqsim_fix_rest)
  string(REPLACE "\r" "" mqsim_fix_rest "${mqsim_fix_rest}")
  string(APPEND mqsim_fix_rest "\n")
  set(mqsim_fix_rel "")
  set(mqsim_fix_hunks 0)
  set(mqsim_fix_line_no 0)
  mqsim_fix_flush()
  while(NOT mqsim_fix_rest STREQUAL "")
    math(EXPR mqsim_fix_line_no "${mqsim_fix_line_no} + 1")
    if(mqsim_fix_line_no GREATER MQSIM_FIX_MAX_LINES)
      message(FATAL_ERROR "${mqsim_fix}: more than ${MQSIM_FIX_MAX_LINES} lines; a fix is meant to be small")
    endif()
    string(FIND "${mqsim_fix_rest}" "\n" mqsim_fix_nl)
    string(SUBSTRING "${mqsim_fix_rest}" 0 ${mqsim_fix_nl} mqsim_fix_line)
    math(EXPR mqsim_fix_nl "${mqsim_fix_nl} + 1")
    string(SUBSTRING "${mqsim_fix_rest}" ${mqsim_fix_nl} -1 mqsim_fix_rest)
    mqsim_fix_read_line()
  endwhile()
  mqsim_fix_flush()
  if(mqsim_fix_hunks EQUAL 0)
    message(FATAL_ERROR "${mqsim_fix}: no hunk (a fix needs 'file <path>' and at least one 'find <line>')")
  endif()
  message(STATUS "fix ${mqsim_fix}: ${mqsim_fix_hunks} hunk(s) applied")
endmacro()

foreach(mqsim_fix IN LISTS FIX)
  mqsim_fix_apply_file()
endforeach()

# Every hunk applied: write the touched files, marks removed.
set(mqsim_fix_index 0)
foreach(rel IN LISTS mqsim_fix_touched)
  string(REPLACE "${MQSIM_FIXED_MARK}" "" mqsim_fix_out "${mqsim_fix_text_${mqsim_fix_index}}")
  string(SUBSTRING "${mqsim_fix_out}" 1 -1 mqsim_fix_out)
  file(WRITE "${TREE}/${rel}" "${mqsim_fix_out}")
  math(EXPR mqsim_fix_index "${mqsim_fix_index} + 1")
endforeach()
