// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.num;
import static org.xenffm.cli.Run.obj;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmContext;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.vmi.GuestMemory;

/** regs, read, write, translate, populate, decrease against the emulator, checked against its state. */
class CliVmiTest {
    static final DomainId D1 = DomainId.of(1);
    static final long VA = 0x7f00_0020_1ff8L;   // the last 8 bytes of one virtual page, then the next
    EmulatedHypervisor emu;

    @BeforeEach
    void host() {
        emu = EmulatedHost.start(EmulatedHostSpec.parse("1x4096"));
        // 4-level tables at gfns 0x10..0x13, VA's page → gfn 0x30, the next → gfn 0x50; CR3 = 0x10000
        try (GuestMemory m = new GuestMemory(emu, D1)) {
            long[][] w = {{0x10000 + 8 * ((VA >>> 39) & 0x1ff), 0x11003}, {0x11000 + 8 * ((VA >>> 30) & 0x1ff), 0x12003},
                    {0x12000 + 8 * ((VA >>> 21) & 0x1ff), 0x13003}, {0x13000 + 8 * ((VA >>> 12) & 0x1ff), 0x30003},
                    {0x13000 + 8 * (((VA >>> 12) & 0x1ff) + 1), 0x50003}};
            for (long[] e : w) {
                byte[] b = new byte[8];
                MemorySegment.ofArray(b).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, e[1]);
                m.writePhysical(e[0], b);
            }
            m.writePhysical(0x30ff8, "ABCDEFGH".getBytes());
            m.writePhysical(0x50000, "IJ".getBytes());
        }
        HvmContext c = emu.domainHvmGetcontext(D1);
        emu.domainHvmSetcontext(D1, c.withCpu(VcpuId.of(0), c.cpu(VcpuId.of(0)).with(X86Registers.Reg.CR3, 0x10000)
                .with(X86Registers.Reg.RIP, 0x401000)));
    }

    Run cli(String... args) { return Run.emulatedJson(emu, args); }

    Map<String, Object> ok(String... args) {
        Run r = cli(args);
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        return r.single();
    }

    @Test void regsShowsTheCpuRecord() {
        Map<String, Object> r = ok("regs", "1", "0");
        assertEquals(0x10000, num(r.get("cr3")));
        assertEquals(0x401000, num(r.get("rip")));
        assertEquals(0x10, num(obj(r.get("cs")).get("sel")));
        assertTrue(r.containsKey("msr_cstar") && r.containsKey("tsc"), r::toString);
        assertEquals(ExitCode.XEN_ERROR, cli("regs", "1", "3").exit(), "ENOENT: no vCPU 3");
        Run human = Run.with(emu, "--backend", "emulated", "regs", "1");
        assertTrue(human.out().contains("cr3           0000000000010000"), human::toString);
    }

    @Test void readAndWriteByVirtualAddressAcrossPages() {
        assertEquals("4142434445464748494a", ok("read", "1", Long.toString(VA), "10", "--virtual").get("hex"));
        assertEquals("4142", ok("read", "1", "0x30ff8", "2").get("hex"));
        ok("write", "1", Long.toString(VA + 7), "7a7b", "--virtual");
        try (GuestMemory m = new GuestMemory(emu, D1)) {
            assertArrayEquals(new byte[]{0x7a, 0x7b}, new byte[]{m.readPhysical(0x30fff, 1)[0], m.readPhysical(0x50000, 1)[0]});
        }
        Run human = Run.with(emu, "--backend", "emulated", "read", "1", "0x30ff8", "8");
        assertTrue(human.out().contains("41 42 43 44 45 46 47 7a") && human.out().contains("|ABCDEFGz|"), human::toString);
    }

    @Test void translateShowsTheWalkAndNamesTheFailingLevel() {
        Map<String, Object> t = ok("translate", "1", Long.toString(VA));
        assertEquals(0x30ff8, num(t.get("gpa")));
        assertEquals("LONG4", t.get("mode"));
        List<?> walk = (List<?>) t.get("walk");
        assertEquals(List.of("PML4", "PDPT", "PD", "PT"), walk.stream().map(o -> obj(o).get("table")).toList());
        Run miss = cli("translate", "1", "0x1000");
        assertEquals(ExitCode.CHECK_FAILED, miss.exit(), miss::toString);
        Map<String, Object> e = obj(miss.single().get("error"));
        assertEquals("translation", e.get("type"));
        assertEquals(4, num(e.get("level")));
        assertEquals(0x10, num(e.get("table_gfn")));
        assertEquals(ExitCode.CHECK_FAILED, cli("translate", "1", Long.toString(VA), "--cr3", "0x20000").exit(),
                "another CR3 (an empty table)");
    }

    @Test void populateBeyondMaxGpfnAndDecrease() {
        long max = emu.domainMaximumGpfn(D1);
        String next = "0x" + Long.toHexString(max + 1);
        assertEquals(ExitCode.XEN_ERROR, cli("populate", "1", next).exit(), "EBUSY at max_pages");
        Map<String, Object> p = ok("populate", "1", next, "--raise-max");
        assertEquals(num(p.get("tot_pages_before")) + 1, num(p.get("tot_pages_after")));
        assertEquals(max + 1, num(p.get("max_gpfn")));
        assertTrue(emu.hostEntry(D1, Gfn.of(max + 1)).valid());
        Map<String, Object> d = ok("decrease", "1", "0x100+2");
        assertEquals(num(d.get("tot_pages_before")) - 2, num(d.get("tot_pages_after")));
        Run again = cli("decrease", "1", "0x100");
        assertEquals(ExitCode.XEN_ERROR, again.exit());
        assertEquals("EINVAL", obj(again.single().get("error")).get("errno_name"));
    }
}
