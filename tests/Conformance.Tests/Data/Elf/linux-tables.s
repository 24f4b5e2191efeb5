# A tiny module-like object holding each kind of site the scanner reports, at line offsets chosen to
# give each alignment class a representative, and Linux's patch-site tables pointing at them:
# __mcount_loc, __patchable_function_entries, .static_call_sites, __jump_table, .static_call.text.
# The expected sites are listed in linux-tables.sites (ScanTests reads both). Built by build.sh.
	.text
	.p2align 6
	.globl f
f:
.Lf_fentry:                      # 0x00: fentry call, fits in an 8-byte word
	call __fentry__
	.org 0x0e, 0xcc
.Lsc1:                           # 0x0e: static call site, straddles a 16-byte block after byte 2
	call __SCT__foo
	.org 0x1d, 0xcc
.Ljl5:                           # 0x1d: jump label (5-byte NOP), straddles a 32-byte block after byte 3
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00
.Ljl5_target:
	.org 0x3e, 0xcc
	call f                       # 0x3e: plain call, straddles the 64-byte line after byte 2
	.org 0x46, 0xcc
.Ljl2:                           # 0x46: jump label (2-byte jmp), fits in a word
	.byte 0xeb, 0x00
.Ljl2_target:
	.org 0x4c, 0xcc
.Lsc2:                           # 0x4c: static call tail jmp, straddles a 16-byte block after byte 4
	jmp __SCT__foo
	.org 0x55, 0xcc
	.byte 0xe9                   # 0x55: plain jmp rel32 to f, straddles an 8-byte word after byte 3
	.long f - (. + 4)
	.org 0x5c, 0xcc
	.byte 0x2e                   # 0x5c: cs-prefixed call (6 bytes), straddles a 32-byte block after byte 4
	call f
	.org 0x64, 0xcc
	.globl g
g:
.Lg_fentry:                      # 0x64: fentry as a 5-byte NOP, straddles a word after byte 4
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00
	.org 0x70, 0xcc
.Lpfe:                           # 0x70: a patchable function entry (5-byte NOP), fits in a word
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00
	.org 0x78, 0xcc
	.globl foo_impl
foo_impl:                        # 0x78: the static call's target
	ret
	.org 0x80, 0xcc
	ud2                          # 0x80: data after a ud2: an e8 whose target lies outside every code section
	.byte 0xe8
	.long 0x7fffff00
	.org 0x88, 0xcc

	.section .static_call.text, "ax"
	.p2align 4
	.globl __SCT__foo
__SCT__foo:                      # a static call trampoline: jmp rel32, then the ud1 %esp,%ecx signature
	.byte 0xe9
	.long foo_impl - (. + 4)
	.byte 0x0f, 0xb9, 0xcc
	.p2align 2
	.globl __SCT__bar
__SCT__bar:                      # a NULL one: ret; int3 padding; the signature
	.byte 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0x0f, 0xb9, 0xcc

	.section __mcount_loc, "a"
	.quad .Lf_fentry
	.quad .Lg_fentry

	.section __patchable_function_entries, "a"
	.quad .Lpfe

	.section .static_call_sites, "aw"
	.long .Lsc1 - .
	.long __SCK__foo - .
	.long .Lsc2 - .
	.long __SCK__foo + 1 - .     # STATIC_CALL_SITE_TAIL

	.section __jump_table, "aw"
	.balign 8
	.long .Ljl5 - .
	.long .Ljl5_target - .
	.quad key1 - .
	.long .Ljl2 - .
	.long .Ljl2_target - .
	.quad key1 + 1 - .           # JUMP_TYPE_TRUE
