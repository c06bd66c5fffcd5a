// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.HashMap;
import java.util.Map;

/** struct domain, reduced to what memshr/altp2m/mem_access/monitor read and write. */
final class Domain {
    static final int MAX_ALTP2M = 10;   // 4.17: fixed number of altp2m slots
    static final int HVM_NR_PARAMS = 39;

    final int id;
    final boolean hvm, hap, iommu;
    final Vcpu[] vcpus;
    final P2m host;
    long maxPages;
    long totPages;
    long shrPages;

    int controllerPauseCount;
    /** Xen-internal pauses (fork parent, transient domain_pause): invisible to getinfo's paused flag. */
    int xenPauseCount;
    boolean dying, crashed, destroyed;

    // mem_sharing
    boolean sharingEnabled;
    Domain parent;
    int forkChildren;
    boolean blockInterrupts;

    final long[] params = new long[HVM_NR_PARAMS];

    // altp2m
    boolean altp2mActive;
    final AltView[] views = new AltView[MAX_ALTP2M];

    // monitor / vm_event
    final MonitorSettings monitor = new MonitorSettings();
    VmEventRing ring;
    VmEventRing sharingRing;
    int nextXenPort = 1;

    /** Grant table: gref → gfn (for the *_gref sharing calls). */
    final Map<Integer, Long> grants = new HashMap<>();

    Domain(int id, boolean hvm, boolean hap, boolean iommu, int maxVcpus, P2m host) {
        this.id = id;
        this.hvm = hvm;
        this.hap = hap;
        this.iommu = iommu;
        this.host = host;
        this.vcpus = new Vcpu[maxVcpus];
        for (int i = 0; i < maxVcpus; i++) vcpus[i] = new Vcpu(this, i);
        for (int i = 0; i < MAX_ALTP2M; i++) views[i] = new AltView(i);
    }

    int maxVcpus() { return vcpus.length; }

    /** atomic_read(&d->pause_count) != 0: paused by anyone. */
    boolean paused() { return controllerPauseCount > 0 || xenPauseCount > 0; }

    boolean running() { return !paused() && !dying && !crashed && !destroyed; }

    boolean isFork() { return parent != null; }

    long altp2mMode() { return params[35]; }

    AltView view(int idx) { return views[idx]; }

    /** The p2m a vCPU's accesses go through. */
    AltView currentView(Vcpu v) { return altp2mActive && v.p2midx >= 0 ? views[v.p2midx] : null; }

    @Override public String toString() { return "d" + id; }
}
