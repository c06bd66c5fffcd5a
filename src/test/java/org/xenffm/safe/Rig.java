// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;

/**
 * Two running emulated guests (2 vCPUs, 64 pages each) with recognisable page contents, the safe layer over them,
 * and the MonitorSession-based event glue. Guest accesses wait for their final outcome, so every vm_event they
 * raise has been answered by the time a test looks at the state.
 */
final class Rig implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final int PAGES = 64;

    final EmulatedHypervisor hv;
    final MonitorSessionFaults faults;
    final SharingAwareAltp2m safe;
    final DomainId d1, d2;

    final Release release;

    Rig(Release release) { this(release, ConflictPolicy.KEEP_BOTH); }

    /** d1 and d2 as xl creates an altp2m guest on the release (≥ 4.19: altp2m = "external" at creation). */
    Rig(Release release, ConflictPolicy policy) {
        this.release = release;
        hv = new EmulatedHypervisor(HostConfig.vtx().withVersion(release.version));
        faults = new MonitorSessionFaults(hv);
        safe = new SharingAwareAltp2m(hv, faults, policy);
        d1 = guest(release.version.altp2mAtCreation() ? HvmParam.ALTP2M_EXTERNAL : HvmParam.ALTP2M_DISABLED);
        d2 = guest(release.version.altp2mAtCreation() ? HvmParam.ALTP2M_EXTERNAL : HvmParam.ALTP2M_DISABLED);
    }

    /** Another running guest with the same page contents, created with the given altp2m mode (0: none). */
    DomainId guest(long altp2mMode) {
        DomainId d = hv.createGuest(GuestSpec.hvm(2, PAGES).withAltp2m(altp2mMode));
        for (long g = 0; g < PAGES; g++) fill(d, Gfn.of(g), label(g));   // same content at the same gfn: shareable
        return d;
    }

    /** A fork parent the release can fork with views in the child: d1 on 4.17, a guest without altp2m on ≥ 4.19. */
    DomainId forkParent() { return release.forksAltp2mParents() ? d1 : guest(HvmParam.ALTP2M_DISABLED); }

    static String label(long g) { return "page-" + g; }

    void fill(DomainId d, Gfn g, String text) {
        Outcome o = write(d, 0, g, text);
        if (o != Outcome.COMPLETED) throw new IllegalStateException("fill " + d + ":" + g + " → " + o);
    }

    /** A guest write of the text (NUL-terminated) at offset 0 by vCPU {@code vcpu}; waits for the final outcome. */
    Outcome write(DomainId d, int vcpu, Gfn g, String text) {
        byte[] b = Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), text.length() + 1);
        return hv.guest(d).vcpu(vcpu).write(g, 0, b).await(WAIT);
    }

    /** What the guest's vCPU reads at offset 0 of the gfn (through its current view). */
    String read(DomainId d, int vcpu, Gfn g) {
        GuestResult r = hv.guest(d).vcpu(vcpu).read(g, 0, 32);
        Outcome o = r.await(WAIT);
        if (o != Outcome.COMPLETED) throw new IllegalStateException("read " + d + ":" + g + " → " + o);
        byte[] b = r.data();
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    /** The text at offset 0 of the host page, read as a debugger would (no events, no unsharing). */
    String peekText(DomainId d, Gfn g) {
        byte[] b = hv.guest(d).peek(g);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    /** memshr_debug_gfn, with 0 for "not shared" (EINVAL). */
    int shareCount(DomainId d, Gfn g) {
        try {
            return hv.memshrDebugGfn(d, g);
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL) return 0;
            throw e;
        }
    }

    /** altp2m get_mem_access on a view; null when the view has no entry (ESRCH). */
    org.xenffm.api.MemAccess viewAccess(DomainId d, ViewId v, Gfn g) {
        try {
            return hv.altp2mGetMemAccess(d, v, g);
        } catch (XenException e) {
            if (e.errno() == Errno.ESRCH) return null;
            throw e;
        }
    }

    @Override public void close() {
        safe.close();
        hv.close();
    }
}
