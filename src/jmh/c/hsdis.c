// SPDX-License-Identifier: Apache-2.0
/*
 * HotSpot's disassembler plugin (the decode_instructions_virtual entry point -XX:+PrintAssembly looks up in
 * hsdis-amd64.so) over Debian's libcapstone: JDK 25 finds no usable hsdis in Debian 12 (libhsdis0-fcml predates
 * this entry point). Built and used by `./run.sh bench asm` only; nothing of it ships.
 */
#include <stdint.h>
#include <stdio.h>
#include <capstone/capstone.h>

typedef void *(*event_fn)(void *stream, const char *event, void *arg);
typedef int (*printf_fn)(void *stream, const char *format, ...);

static void *no_event(void *stream, const char *event, void *arg) { return NULL; }

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_fn event, void *event_stream, printf_fn print, void *print_stream,
                                  const char *options, int newline) {
    csh cs;
    cs_insn *insn;
    if (print == NULL) {
        print = (printf_fn) fprintf;
        if (print_stream == NULL) print_stream = stdout;
    }
    if (event == NULL) event = no_event;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return NULL;
    cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
    cs_option(cs, CS_OPT_SKIPDATA, CS_OPT_ON); // constants between instructions: print them, go on
    size_t n = cs_disasm(cs, buffer, length, (uint64_t) start_va, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        // the events tie each instruction to its address, so HotSpot can interleave its own annotations
        event(event_stream, "insn", (void *) (uintptr_t) insn[i].address);
        print(print_stream, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
        event(event_stream, "/insn", (void *) (uintptr_t) (insn[i].address + insn[i].size));
        if (newline) print(print_stream, "\n");
    }
    if (n > 0) cs_free(insn, n);
    cs_close(&cs);
    return NULL;
}
