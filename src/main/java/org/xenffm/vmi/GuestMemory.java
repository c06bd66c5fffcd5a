// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;
import org.xenffm.api.AddressSpace;
import org.xenffm.api.DomainId;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.Translation;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86PageWalk;
import org.xenffm.api.X86Registers;

/**
 * A domain's memory by address, as an introspection tool reads it: guest-physical addresses across page boundaries,
 * and guest-virtual addresses through the guest's own page tables ({@link X86PageWalk}, every x86 paging mode) for a
 * given {@link AddressSpace} or a vCPU's current one. Built on {@link Hypervisor}: pages are foreign mappings
 * ({@code xenforeignmemory_map}), registers come from {@code xc_domain_hvm_getcontext_partial}.
 *
 * <p>Two caches make repeated access cheap: mapped pages (direct-mapped, {@value #PAGES} one-page mappings, read-only
 * until the first write to the page, which re-maps it writable; a mapping is an extra reference Xen counts, so a
 * cached page cannot be nominated for sharing — E2BIG — until {@link #invalidate()}) and translations (a {@value
 * #TLB}-entry direct-mapped TLB of 4 KiB virtual pages per address space). Both describe the p2m and page tables as
 * they were when filled: {@link #invalidate()} after a change this object did not make — an unshare, fork_reset,
 * populate/decrease, a page table the guest rewrote. Writes through this object keep both caches right (a write may
 * unshare the page, so the page's read-only mapping is dropped, and the TLB is flushed since the write may have hit a
 * page table).
 *
 * <p>Not thread-safe: one per thread, or lock around it.
 */
public final class GuestMemory implements AutoCloseable {
    static final int PAGES = 128, TLB = 1024;
    private static final int PAGE = 4096;

    private final Hypervisor hv;
    private final DomainId domain;
    private final Cache pages = new Cache();
    // the page of the last virtual read (same AddressSpace instance, same virtual page): dropped with the TLB
    private AddressSpace lastSpace;
    private long lastVpn;
    private MemorySegment lastPage;
    // TLB: tag = va page number, space key, value = gfn | perms; valid when key != 0
    private final long[] tlbVpn = new long[TLB], tlbKey = new long[TLB], tlbGfn = new long[TLB];
    private final X86PageWalk.Physical physical = new X86PageWalk.Physical() {
        @Override public long u64(long gpa) { return page(gpa >>> 12).get(ValueLayout.JAVA_LONG_UNALIGNED, gpa & 0xfff); }
        @Override public int u32(long gpa) { return page(gpa >>> 12).get(ValueLayout.JAVA_INT_UNALIGNED, gpa & 0xfff); }
    };

    /**
     * Guest memory of a domain, read and written through one-page foreign mappings (xenforeignmemory_map).
     *
     * @param hv     the hypervisor
     * @param domain the domain
     */
    public GuestMemory(Hypervisor hv, DomainId domain) {
        this.hv = Objects.requireNonNull(hv);
        this.domain = Objects.requireNonNull(domain);
    }

    /** {@return the domain} */
    public DomainId domain() { return domain; }

    // ---- registers ---------------------------------------------------------------------------------------------------

    /**
     * A vCPU's current address space (xc_domain_hvm_getcontext_partial: CR0, CR3, CR4, EFER).
     *
     * @param vcpu the vCPU
     * @return its address space
     * @throws org.xenffm.api.XenException as {@link Hypervisor#domainHvmGetcontextPartial}
     */
    public AddressSpace addressSpace(VcpuId vcpu) {
        X86Registers r = hv.domainHvmGetcontextPartial(domain, vcpu);
        return AddressSpace.of(r);
    }

    // ---- guest-physical ----------------------------------------------------------------------------------------------

    /**
     * {@code len} bytes at a guest-physical address, across pages.
     *
     * @param gpa the guest-physical address
     * @param len the number of bytes
     * @return the bytes
     * @throws org.xenffm.api.XenException EINVAL a gfn without RAM (xenforeignmemory_map)
     */
    public byte[] readPhysical(long gpa, int len) {
        byte[] out = new byte[len];
        for (int done = 0; done < len; ) {
            long a = gpa + done;
            int n = (int) Math.min(len - done, PAGE - (a & 0xfff));
            MemorySegment.copy(page(a >>> 12), ValueLayout.JAVA_BYTE, a & 0xfff, out, done, n);
            done += n;
        }
        return out;
    }

    /**
     * 8 bytes at a guest-physical address (little-endian; may cross a page).
     *
     * @param gpa the guest-physical address
     * @return the value
     * @throws org.xenffm.api.XenException EINVAL a gfn without RAM
     */
    public long readU64Physical(long gpa) {
        if ((gpa & 0xfff) <= PAGE - 8) return page(gpa >>> 12).get(ValueLayout.JAVA_LONG_UNALIGNED, gpa & 0xfff);
        return MemorySegment.ofArray(readPhysical(gpa, 8)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /**
     * Writes bytes at a guest-physical address, across pages (a writable mapping: a shared page is unshared).
     *
     * @param gpa  the guest-physical address
     * @param data the bytes
     * @throws org.xenffm.api.XenException EINVAL a gfn without RAM
     */
    public void writePhysical(long gpa, byte[] data) {
        for (int done = 0; done < data.length; ) {
            long a = gpa + done;
            int n = (int) Math.min(data.length - done, PAGE - (a & 0xfff));
            long gfn = a >>> 12;
            // a writable mapping unshares a shared page: the gfn may now be a private copy
            MemorySegment.copy(data, done, pages.get(gfn, true), ValueLayout.JAVA_BYTE, a & 0xfff, n);
            done += n;
        }
        flushTlb();                       // the write may have changed a page table
    }

    // ---- guest-virtual -----------------------------------------------------------------------------------------------

    /**
     * The whole page walk of {@code va} (every level's entry); uncached.
     *
     * @param as the address space
     * @param va the guest-virtual address
     * @return the walk and where it ends
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws org.xenffm.api.XenException EINVAL a page without RAM (xenforeignmemory_map)
     */
    public Translation translate(AddressSpace as, long va) { return X86PageWalk.walk(physical, as, va); }

    /**
     * The guest-physical address of {@code va} (through the TLB).
     *
     * @param as the address space
     * @param va the guest-virtual address
     * @return the guest-physical address
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws org.xenffm.api.XenException EINVAL a page without RAM (xenforeignmemory_map)
     */
    public long virtualToPhysical(AddressSpace as, long va) {
        return (gfnOf(as, va) << 12) | (va & 0xfff);
    }

    /**
     * {@code len} bytes at a guest-virtual address, across pages.
     *
     * @param as  the address space
     * @param va  the guest-virtual address
     * @param len the number of bytes
     * @return the bytes
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws org.xenffm.api.XenException EINVAL a page without RAM (xenforeignmemory_map)
     */
    public byte[] readVirtual(AddressSpace as, long va, int len) {
        byte[] out = new byte[len];
        for (int done = 0; done < len; ) {
            long a = va + done;
            int n = (int) Math.min(len - done, PAGE - (a & 0xfff));
            MemorySegment.copy(page(gfnOf(as, a)), ValueLayout.JAVA_BYTE, a & 0xfff, out, done, n);
            done += n;
        }
        return out;
    }

    /**
     * 8 bytes at a guest-virtual address. Warm, a read in the page the previous virtual access used is two compares
     * and one load from the mapped page; another page costs one TLB probe and one page-cache probe.
     *
     * @param as the address space
     * @param va the guest-virtual address
     * @return the value (little-endian)
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws org.xenffm.api.XenException EINVAL a page without RAM (xenforeignmemory_map)
     */
    public long readU64Virtual(AddressSpace as, long va) {
        if ((va & 0xfff) <= PAGE - 8) {
            if (as == lastSpace && (va >>> 12) == lastVpn && lastPage != null)
                return lastPage.get(ValueLayout.JAVA_LONG_UNALIGNED, va & 0xfff);
            MemorySegment p = page(gfnOf(as, va));
            lastSpace = as;
            lastVpn = va >>> 12;
            lastPage = p;
            return p.get(ValueLayout.JAVA_LONG_UNALIGNED, va & 0xfff);
        }
        return MemorySegment.ofArray(readVirtual(as, va, 8)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /**
     * Writes bytes at a guest-virtual address, across pages.
     *
     * @param as   the address space
     * @param va   the guest-virtual address
     * @param data the bytes
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws org.xenffm.api.XenException EINVAL a page without RAM (xenforeignmemory_map)
     */
    public void writeVirtual(AddressSpace as, long va, byte[] data) {
        for (int done = 0; done < data.length; ) {
            long a = va + done;
            int n = (int) Math.min(data.length - done, PAGE - (a & 0xfff));
            byte[] part = java.util.Arrays.copyOfRange(data, done, done + n);
            writePhysical((gfnOf(as, a) << 12) | (a & 0xfff), part);
            done += n;
        }
    }

    // ---- caches ------------------------------------------------------------------------------------------------------

    private static long spaceKey(AddressSpace as) {
        return (as.cr3() * 0x9E3779B97F4A7C15L) ^ (as.mode().ordinal() + 1) ^ (as.pse() ? 64 : 0) ^ (as.nxe() ? 128 : 0) | 1;
    }

    private long gfnOf(AddressSpace as, long va) {
        long vpn = va >>> 12, key = spaceKey(as);
        int i = (int) ((vpn ^ (key >>> 17)) & (TLB - 1));
        if (tlbKey[i] == key && tlbVpn[i] == vpn) return tlbGfn[i];
        long gfn = X86PageWalk.walk(physical, as, va).gpa() >>> 12;
        tlbKey[i] = key;
        tlbVpn[i] = vpn;
        tlbGfn[i] = gfn;
        return gfn;
    }

    private MemorySegment page(long gfn) { return pages.get(gfn, false); }

    private void flushTlb() {
        java.util.Arrays.fill(tlbKey, 0);
        lastPage = null;
    }

    /** Drops every cached translation and mapping (unmapping the pages). */
    public void invalidate() {
        flushTlb();
        pages.clear();
    }

    /**
     * Drops one gfn's mappings and every translation (a page table may live in it).
     *
     * @param gfn the gfn
     */
    public void invalidate(Gfn gfn) {
        flushTlb();
        pages.drop(gfn.value());
    }

    /** Unmaps every cached page. */
    @Override public void close() { invalidate(); }

    /** Direct-mapped cache of one-page foreign mappings, one per gfn (read-only, or writable once written). */
    private final class Cache {
        private final long[] gfns = new long[PAGES];
        private final boolean[] writable = new boolean[PAGES];
        private final ForeignMapping[] maps = new ForeignMapping[PAGES];
        private final MemorySegment[] segs = new MemorySegment[PAGES];

        MemorySegment get(long gfn, boolean write) {
            int i = (int) (gfn & (PAGES - 1));
            if (maps[i] != null && gfns[i] == gfn && (writable[i] || !write)) return segs[i];
            if (maps[i] != null) {
                maps[i].close();
                maps[i] = null;
                lastPage = null;      // it may have been this mapping's memory
            }
            ForeignMapping m = hv.foreignMemoryMap(domain, write, List.of(Gfn.of(gfn)));
            maps[i] = m;
            gfns[i] = gfn;
            writable[i] = write;
            segs[i] = m.memory();
            return segs[i];
        }

        void drop(long gfn) {
            int i = (int) (gfn & (PAGES - 1));
            if (maps[i] != null && gfns[i] == gfn) {
                maps[i].close();
                maps[i] = null;
                segs[i] = null;
                lastPage = null;
            }
        }

        void clear() {
            lastPage = null;
            for (int i = 0; i < PAGES; i++) {
                if (maps[i] != null) maps[i].close();
                maps[i] = null;
                segs[i] = null;
            }
        }
    }
}
