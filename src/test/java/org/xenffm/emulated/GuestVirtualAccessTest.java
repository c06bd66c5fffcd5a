// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.AddressSpace;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmContext;
import org.xenffm.api.MemAccess;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.vmi.GuestMemory;

/** The emulated vCPU accesses guest-virtual addresses through page tables that live in its own frames. */
@Timeout(60)
class GuestVirtualAccessTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long VA = 0x7f12_3456_7000L;
    private final EmulatedHypervisor emu = new EmulatedHypervisor();
    private final DomainId d = emu.createGuest(1, 4096);
    private final GuestMemory mem = new GuestMemory(emu, d);
    private final GuestCpu cpu = emu.guest(d).vcpu(0);

    GuestVirtualAccessTest() {
        // dom0 writes 4-level tables (PML4 0x10, PDPT 0x11, PD 0x12, PT 0x13) into the guest's frames; VA → gfn 0x40
        long[][] w = {{0x10000 + 8 * ((VA >>> 39) & 0x1ff), 0x11003}, {0x11000 + 8 * ((VA >>> 30) & 0x1ff), 0x12003},
                {0x12000 + 8 * ((VA >>> 21) & 0x1ff), 0x13003}, {0x13000 + 8 * ((VA >>> 12) & 0x1ff), 0x40003}};
        for (long[] e : w) {
            byte[] b = new byte[8];
            MemorySegment.ofArray(b).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, e[1]);
            mem.writePhysical(e[0], b);
        }
        mem.writePhysical(0x40010, "puppet!!".getBytes());
        HvmContext c = emu.domainHvmGetcontext(d);
        emu.domainHvmSetcontext(d, c.withCpu(VcpuId.of(0), c.cpu(VcpuId.of(0)).with(X86Registers.Reg.CR3, 0x10000)));
        mem.invalidate();   // no mapping left: nothing stops sharing or foreign writes later
    }

    @Test void aVirtualReadThroughDom0sWalkEqualsWhatTheGuestReads() {
        GuestResult r = cpu.readVirtual(VA + 0x10, 8);
        assertEquals(Outcome.COMPLETED, r.await(T));
        AddressSpace as = mem.addressSpace(VcpuId.of(0));
        assertArrayEquals(mem.readVirtual(as, VA + 0x10, 8), r.data());
        assertEquals("puppet!!", new String(r.data()));
        assertEquals(Outcome.COMPLETED, cpu.writeVirtual(VA + 0x20, new byte[]{9}).await(T));
        assertEquals(9, emu.guest(d).peek(Gfn.of(0x40))[0x20]);
    }

    @Test void aMemAccessEventCarriesTheLinearAddressAndTheTranslatedGfn() throws Exception {
        BlockingQueue<VmEvent.MemAccess> seen = new ArrayBlockingQueue<>(1);
        try (MonitorSession s = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x40), 1, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> { seen.offer(e.copy()); return VmEventResponse.CONTINUE.emulate(); }).start()) {
            cpu.writeVirtual(VA + 0x30, new byte[]{1}).await(T);
            VmEvent.MemAccess e = seen.poll(10, TimeUnit.SECONDS);
            assertNotNull(e);
            assertEquals(Gfn.of(0x40), e.gfn());
            assertEquals(VA + 0x30, e.gla());
            assertEquals(0x10000, e.regs().cr3());
        }
    }

    @Test void aNonTranslatingAddressIsAPageFault() {
        assertEquals(Outcome.PAGE_FAULT, cpu.readVirtual(VA + 0x1000, 4).await(T));
        assertEquals(VA + 0x1000, cpu.registers().cr2);
        assertEquals(Outcome.PAGE_FAULT, cpu.readVirtual(0xffff_8000_0000_0000L, 4).await(T), "no PML4 entry");
        assertEquals(Outcome.COMPLETED, cpu.executeVirtual(VA + 0x40).await(T));
        assertEquals(VA + 0x40, cpu.registers().rip);
    }

    @Test void dom0RewritesTheTablesTheGuestUses() {
        byte[] pte = new byte[8];
        MemorySegment.ofArray(pte).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x41003L);
        mem.writePhysical(0x13000 + 8 * ((VA >>> 12) & 0x1ff), pte);
        mem.writePhysical(0x41010, "moved".getBytes());
        mem.invalidate();
        GuestResult r = cpu.readVirtual(VA + 0x10, 5);
        r.await(T);
        assertEquals("moved", new String(r.data()));
    }
}
