// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmi;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenffm.api.AddressSpace;
import org.xenffm.api.DomainId;
import org.xenffm.api.PagingMode;
import org.xenffm.api.Translation;
import org.xenffm.api.TranslationException;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmContext;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestResult;

/** Guest memory by address on the emulated Xen: page tables the test writes into guest frames, walked in every mode. */
class GuestMemoryTest {
    private static final long P = 1, RW = 2, US = 4, PS = 0x80, NX = 1L << 63;
    private final EmulatedHypervisor emu = new EmulatedHypervisor();
    private final DomainId d = emu.createGuest(1, 4096);
    private final GuestMemory mem = new GuestMemory(emu, d);

    private void u64(long gpa, long v) {
        byte[] b = new byte[8];
        MemorySegment.ofArray(b).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        mem.writePhysical(gpa, b);
    }

    private void u32(long gpa, long v) {
        byte[] b = new byte[4];
        MemorySegment.ofArray(b).set(ValueLayout.JAVA_INT_UNALIGNED, 0, (int) v);
        mem.writePhysical(gpa, b);
    }

    private static long idx(long va, int shift) { return (va >>> shift) & 0x1ff; }

    /** PML4 0x10 → PDPT 0x11 → PD 0x12 → PT 0x13; va → gfn, 4 KiB, with the given leaf flags. */
    private AddressSpace long4(long va, long gfn, long leafFlags) {
        u64(0x10000 + 8 * idx(va, 39), 0x11000 | P | RW | US);
        u64(0x11000 + 8 * idx(va, 30), 0x12000 | P | RW | US);
        u64(0x12000 + 8 * idx(va, 21), 0x13000 | P | RW | US);
        u64(0x13000 + 8 * idx(va, 12), (gfn << 12) | leafFlags);
        return AddressSpace.long4(0x10000);
    }

    @Test void fourLevelWalkReportsEveryLevel() {
        long va = 0xffff_8000_0000_1234L;
        AddressSpace as = long4(va, 0x20, P | RW | NX);
        Translation t = mem.translate(as, va);
        assertEquals(0x20234, t.gpa());
        assertEquals(4096, t.pageSize());
        assertEquals(List.of("PML4", "PDPT", "PD", "PT"), t.walk().stream().map(Translation.Level::name).toList());
        assertEquals(List.of(0x10000L, 0x11000L, 0x12000L, 0x13000L),
                t.walk().stream().map(Translation.Level::tableGpa).toList());
        assertEquals((int) idx(va, 39), t.walk().get(0).index());
        assertTrue(t.writable());
        assertFalse(t.user(), "the leaf is supervisor-only");
        assertTrue(t.noExecute());
    }

    @Test void virtualReadsEqualWhatTheGuestReadsAtTheTranslatedAddress() {
        long va = 0x7fff_0000_0ff8L;   // crosses into the next virtual page, which maps a non-adjacent gfn
        AddressSpace as = long4(va, 0x30, P | RW | US);
        u64(0x13000 + 8 * (idx(va, 12) + 1), (0x50L << 12) | P | RW | US);
        mem.writePhysical(0x30ff8, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        mem.writePhysical(0x50000, new byte[]{9, 10, 11, 12});
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, mem.readVirtual(as, va, 12));
        GuestResult r = emu.guest(d).vcpu(0).readGpa(mem.virtualToPhysical(as, va + 8), 4);
        r.await(Duration.ofSeconds(10));
        assertArrayEquals(new byte[]{9, 10, 11, 12}, r.data());
        mem.writeVirtual(as, va + 6, new byte[]{(byte) 0xaa, (byte) 0xbb, (byte) 0xcc});
        assertArrayEquals(new byte[]{(byte) 0xaa, (byte) 0xbb}, mem.readPhysical(0x30ffe, 2));
        assertEquals((byte) 0xcc, mem.readPhysical(0x50000, 1)[0]);
    }

    @Test void largePages() {
        long va2m = 0x4020_1234L, va1g = 0x80_4567_89abL;
        u64(0x10000 + 8 * idx(va2m, 39), 0x11000 | P | RW);
        u64(0x11000 + 8 * idx(va2m, 30), 0x12000 | P | RW);
        u64(0x12000 + 8 * idx(va2m, 21), 0x0060_0000L | P | RW | PS);
        u64(0x10000 + 8 * idx(va1g, 39), 0x14000 | P | RW);
        u64(0x14000 + 8 * idx(va1g, 30), 0x4000_0000L | P | PS);
        AddressSpace as = AddressSpace.long4(0x10000);
        Translation t2 = mem.translate(as, va2m);
        assertEquals(0x0060_0000L | (va2m & 0x1f_ffff), t2.gpa());
        assertEquals(2L << 20, t2.pageSize());
        assertEquals(3, t2.walk().size());
        Translation t1 = mem.translate(as, va1g);
        assertEquals(0x4000_0000L | (va1g & 0x3fff_ffffL), t1.gpa());
        assertEquals(1L << 30, t1.pageSize());
        assertFalse(t1.writable());
    }

    @Test void notPresentIsTypedWithLevelTableAndEntry() {
        long va = 0xffff_8000_0040_0000L;
        long4(va, 0x20, P);
        u64(0x12000 + 8 * idx(va, 21), 0);   // drop the PD entry
        TranslationException e = assertThrows(TranslationException.class, () -> mem.translate(AddressSpace.long4(0x10000), va));
        assertEquals(TranslationException.Reason.NOT_PRESENT, e.reason());
        assertEquals(2, e.level());
        assertEquals(Gfn.of(0x12), e.tableGfn());
        assertEquals(idx(va, 21), e.index());
        assertEquals(0, e.entry());
        assertEquals(3, e.walk().size());
        assertTrue(e.getMessage().contains("level 2 (PD), table gfn 0x12"), e.getMessage());
        TranslationException nc = assertThrows(TranslationException.class,
                () -> mem.translate(AddressSpace.long4(0x10000), 0x0000_8000_0000_0000L));
        assertEquals(TranslationException.Reason.NON_CANONICAL, nc.reason());
        assertNull(nc.tableGfn());
        // bit 63 without EFER.NXE is reserved
        long4(va, 0x20, P | NX);
        AddressSpace noNx = new AddressSpace(PagingMode.LONG4, 0x10000, true, false);
        assertEquals(TranslationException.Reason.RESERVED_BIT,
                assertThrows(TranslationException.class, () -> mem.translate(noNx, va)).reason());
    }

    @Test void fiveLevel() {
        long va = 0x00ff_8000_0000_0000L | 0x5123;   // bit 55 set: only canonical with 57 bits
        u64(0x18000 + 8 * idx(va, 48), 0x10000 | P | RW);
        long4(va, 0x21, P | RW);
        AddressSpace as = new AddressSpace(PagingMode.LONG5, 0x18000, true, true);
        Translation t = mem.translate(as, va);
        assertEquals(0x21123, t.gpa());
        assertEquals("PML5", t.walk().get(0).name());
        assertEquals(5, t.walk().size());
        assertThrows(TranslationException.class, () -> mem.translate(AddressSpace.long4(0x10000), va));
    }

    @Test void paeAndLegacy() {
        // PAE: PDPT at cr3 0x20020 (32-byte aligned), PD 0x21, PT 0x22, and a 2 MiB page
        long va = 0xc012_3456L, big = 0x8040_0123L;
        u64(0x20020 + 8 * (va >>> 30), 0x21000 | P);
        u64(0x21000 + 8 * ((va >>> 21) & 0x1ff), 0x22000 | P | RW | US);
        u64(0x22000 + 8 * ((va >>> 12) & 0x1ff), 0x77000 | P | RW | US | NX);
        u64(0x20020 + 8 * (big >>> 30), 0x23000 | P);
        u64(0x23000 + 8 * ((big >>> 21) & 0x1ff), 0x0020_0000L | P | PS);
        AddressSpace pae = new AddressSpace(PagingMode.PAE, 0x20020, false, true);
        Translation t = mem.translate(pae, va);
        assertEquals(0x77456, t.gpa());
        assertEquals(List.of("PDPT", "PD", "PT"), t.walk().stream().map(Translation.Level::name).toList());
        assertTrue(t.noExecute() && t.user() && t.writable());
        assertEquals(0x0020_0123L, mem.translate(pae, big).gpa());
        // 32-bit paging: PD 0x30, PT 0x31; a 4 MiB page with PSE-36 bits (pa bit 32)
        long lva = 0x0804_8123L, lbig = 0xc040_0000L | 0x1234;
        u32(0x30000 + 4 * (lva >>> 22), 0x31000 | P | RW | US);
        u32(0x31000 + 4 * ((lva >>> 12) & 0x3ff), 0x45000 | P | US);
        u32(0x30000 + 4 * (lbig >>> 22), 0x0080_0000L | (1 << 13) | P | RW | PS);
        AddressSpace legacy = new AddressSpace(PagingMode.LEGACY, 0x30000, true, false);
        Translation lt = mem.translate(legacy, lva);
        assertEquals(0x45123, lt.gpa());
        assertFalse(lt.writable(), "PDE allows writes, PTE does not");
        Translation lb = mem.translate(legacy, lbig);
        assertEquals(0x1_0080_0000L | 0x1234, lb.gpa());
        assertEquals(4L << 20, lb.pageSize());
        AddressSpace noPse = new AddressSpace(PagingMode.LEGACY, 0x30000, false, false);
        TranslationException e = assertThrows(TranslationException.class, () -> mem.translate(noPse, lbig),
                "without CR4.PSE the PS bit is ignored and the PDE points to a page table");
        assertEquals(1, e.level());
        assertEquals(Gfn.of(0x802), e.tableGfn());
    }

    @Test void theVcpusAddressSpaceComesFromItsContext() {
        long va = 0xffff_8000_0000_3000L;
        long4(va, 0x25, P | RW);
        HvmContext c = emu.domainHvmGetcontext(d);
        X86Registers r = c.cpu(VcpuId.of(0)).with(X86Registers.Reg.CR3, 0x10000);
        emu.domainHvmSetcontext(d, c.withCpu(VcpuId.of(0), r));
        AddressSpace as = mem.addressSpace(VcpuId.of(0));
        assertEquals(PagingMode.LONG4, as.mode());
        assertEquals(0x10000, as.cr3());
        assertEquals(0x25000, mem.virtualToPhysical(as, va));
        assertEquals(PagingMode.NONE, PagingMode.of(r.with(X86Registers.Reg.CR0, 0x11)));
        assertEquals(PagingMode.PAE, PagingMode.of(r.with(X86Registers.Reg.MSR_EFER, 0).with(X86Registers.Reg.CR4, 0x20)));
        assertEquals(PagingMode.LEGACY, PagingMode.of(r.with(X86Registers.Reg.MSR_EFER, 0).with(X86Registers.Reg.CR4, 0)));
        assertEquals(PagingMode.LONG5, PagingMode.of(r.with(X86Registers.Reg.CR4, 0x1020)));
    }

    // the caches describe the p2m and the tables as they were: a change made elsewhere needs invalidate()
    @Test void cachesAndInvalidation() {
        long va = 0x1000_0000L;
        AddressSpace as = long4(va, 0x40, P | RW);
        assertEquals(0x40000, mem.virtualToPhysical(as, va));
        // a PTE rewritten through this object: the TLB is flushed
        u64(0x13000 + 8 * idx(va, 12), (0x41L << 12) | P | RW);
        assertEquals(0x41000, mem.virtualToPhysical(as, va));
        // rewritten by the guest: the TLB is stale until invalidate
        byte[] pte = new byte[8];
        MemorySegment.ofArray(pte).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, (0x42L << 12) | P | RW);
        emu.guest(d).vcpu(0).writeGpa(0x13000 + 8 * idx(va, 12), pte).await(Duration.ofSeconds(10));
        assertEquals(0x41000, mem.virtualToPhysical(as, va));
        mem.invalidate(Gfn.of(0x13));
        assertEquals(0x42000, mem.virtualToPhysical(as, va));
        // a dropped page: the cached mapping still shows the old frame until invalidated, then EINVAL
        mem.readPhysical(0x42000, 8);
        emu.domainDecreaseReservationExact(d, List.of(Gfn.of(0x42)));
        mem.invalidate();
        assertEquals(Errno.EINVAL, assertThrows(XenException.class, () -> mem.readVirtual(as, va, 8)).errno());
    }

    // the last-page shortcut of readU64Virtual never reads through a mapping the page cache has replaced
    @Test void readU64VirtualFollowsEvictionsAndWrites() {
        long va = 0x2000_0000L;
        AddressSpace as = long4(va, 0x80, P | RW);
        mem.writePhysical(0x80008, new byte[]{5});
        assertEquals(5, mem.readU64Virtual(as, va + 8));
        mem.readPhysical((0x80L + GuestMemory.PAGES) << 12, 1);   // evicts gfn 0x80's slot
        assertEquals(5, mem.readU64Virtual(as, va + 8));
        mem.writePhysical(0x80008, new byte[]{6});                   // re-maps it writable
        assertEquals(6, mem.readU64Virtual(as, va + 8));
        mem.invalidate(Gfn.of(0x80));
        assertEquals(6, mem.readU64Virtual(as, va + 8));
        mem.writePhysical(0x80ffc, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        assertEquals(0x0807060504030201L, mem.readU64Physical(0x80ffc), "8 bytes across a page boundary");
    }

    // unshare by a guest write moves the gfn to a private frame: a mapping of the shared frame keeps the old bytes
    @Test void unshareNeedsInvalidation() {
        DomainId d2 = emu.createGuest(1, 4096);
        SharingHandle h1 = emu.memshrNominateGfn(d, Gfn.of(0x60)), h2 = emu.memshrNominateGfn(d2, Gfn.of(0x60));
        emu.memshrShareGfns(d, Gfn.of(0x60), h1, d2, Gfn.of(0x60), h2);
        assertEquals(0, mem.readPhysical(0x60000, 1)[0]);
        emu.guest(d).vcpu(0).writeGpa(0x60000, new byte[]{7}).await(Duration.ofSeconds(10));
        assertEquals(0, mem.readPhysical(0x60000, 1)[0], "still the shared frame");
        mem.invalidate(Gfn.of(0x60));
        assertEquals(7, mem.readPhysical(0x60000, 1)[0]);
        mem.close();
    }
}
