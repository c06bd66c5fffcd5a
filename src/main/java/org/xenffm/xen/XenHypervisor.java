// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.EventChannel;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.GrantRef;
import org.xenffm.api.HvmContext;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.X86Registers;
import org.xenffm.api.XenVersion;
import org.xenffm.api.ConsoleChunk;

/**
 * The real-Xen backend: {@link Hypervisor} over libxenctrl, libxenevtchn and libxenforeignmemory through FFM.
 * Each hypercall family lives in its own file ({@link XenDomains}, {@link XenMemshr}, {@link XenAltp2m},
 * {@link XenMemAccess}, {@link XenMonitor}, {@link XenEventChannel}, {@link XenForeignMemory},
 * {@link XenConsole}); this class opens the handle, delegates, and tears everything down in {@link #close()}.
 *
 * <p>Opening needs dom0 of a Xen host (the privcmd device); elsewhere the constructor throws
 * {@link XenNotAvailableException} with errno ENOENT. libxc's own messages go to SLF4J ({@link XenLog}).
 * Methods may be called from several threads (libxenctrl handles are thread-safe); {@link #close()} refuses to
 * free the handle while another thread is inside a call, and any call after close throws IllegalStateException.
 */
public final class XenHypervisor implements Hypervisor {

    /** The classes that declare the native functions this backend binds (see {@link #nativeFunctions()}). */
    private static final List<Class<?>> BINDING_CLASSES = List.of(XcInterface.class, XenDomains.class,
            XenMemshr.class, XenAltp2m.class, XenMemAccess.class, XenMonitor.class, XenEventChannel.class,
            XenForeignMemory.class, XenConsole.class, XenPhysmap.class, XenHvmContext.class, LibC.class);

    private final XenLibrary lib;
    private final XenLog log;
    private final XcInterface xc;
    private final XenDomains domains;
    private final XenPhysmap physmap;
    private final XenHvmContext hvmContext;
    private final XenMemshr memshr;
    private final XenAltp2m altp2m;
    private final XenMemAccess memAccess;
    private final XenMonitor monitor;
    private final XenForeignMemory foreignMemory;
    private final XenConsole console;
    private final Set<XenEventChannel> channels = ConcurrentHashMap.newKeySet();
    private boolean closed;

    /**
     * Opens the hypervisor through the libxenctrl of its own release: {@link XenLibrary#load()} finds a carried
     * library, xc_version tells the running release, and when the two differ (both libraries installed) the
     * hypervisor's own libxenctrl is opened instead, unless {@value XenLibrary#SONAME_PROPERTY} pins one.
     *
     * @throws UnsupportedXenVersionException for a hypervisor release xenffm does not carry, or a mismatch that
     *         cannot be resolved (the message names the supported releases and what to install)
     * @throws XenNotAvailableException when no library is installed or this is not dom0 of a Xen host
     */
    public XenHypervisor() {
        this(openMatching());
    }

    private XenHypervisor(XcInterface xc) {
        this(xc.lib, xc);
    }

    private static XcInterface openMatching() {
        XenLibrary lib = XenLibrary.load();
        try {
            return new XcInterface(lib, XenLog.slf4j());
        } catch (UnsupportedXenVersionException e) {
            XenVersion running = e.hypervisor().orElse(null);
            if (running == null || !running.supported() || XenLibrary.sonamePinned()) throw e;
            XenLibrary matching;
            try {
                matching = XenLibrary.load(running.xenctrlSoname());
            } catch (XenNotAvailableException missing) {
                e.addSuppressed(missing);
                throw e;
            }
            return new XcInterface(matching, XenLog.slf4j());
        }
    }

    /**
     * Opens the hypervisor through the given libxenctrl (xc_interface_open, then xc_version).
     *
     * @param lib the loaded libraries, e.g. {@link XenLibrary#load(String)}
     * @throws UnsupportedXenVersionException the running hypervisor is another release than {@code lib}
     * @throws XenNotAvailableException when the library is missing or this is not dom0 of a Xen host (ENOENT on
     *         the privcmd device); use the emulated backend there
     */
    public XenHypervisor(XenLibrary lib) {
        this(lib, new XcInterface(lib, XenLog.slf4j()));
    }

    XenHypervisor(XenLibrary lib, XcInterface xc) {
        this.lib = lib;
        this.xc = xc;
        log = XenLog.slf4j();
        domains = new XenDomains(xc);
        physmap = new XenPhysmap(xc);
        hvmContext = new XenHvmContext(xc);
        memshr = new XenMemshr(xc);
        altp2m = new XenAltp2m(xc);
        memAccess = new XenMemAccess(xc);
        monitor = new XenMonitor(xc);
        foreignMemory = new XenForeignMemory(lib, log);
        console = new XenConsole(xc);
    }

    /** Every C function this backend can call, from the backend's own declarations. */
    static List<NativeFunction> nativeFunctions() {
        return NativeFunction.declaredIn(BINDING_CLASSES.toArray(Class<?>[]::new));
    }

    /** {@return the libraries this handle calls} */
    public XenLibrary library() { return lib; }

    // ---- host and domains ----------------------------------------------------------------------------------

    @Override public XenVersion version() {
        xc.xch();
        return xc.version;
    }

    @Override public PhysInfo physinfo() { return domains.physinfo(); }

    @Override public ConsoleChunk readConsoleRing(int maxChars, boolean clear, boolean incremental, int index) {
        return console.read(maxChars, clear, incremental, index);
    }

    @Override public DomainInfo domainGetinfo(DomainId domain) { return domains.getinfo(domain); }

    @Override public List<DomainInfo> domainGetinfolist(DomainId first, int max) {
        return domains.getinfolist(first, max);
    }

    /** HVM+HAP domains get only an emulated local APIC, as KF/x creates fork children. */
    @Override public DomainId domainCreate(DomainConfig config) {
        return domains.create(config, XenDomains.DEFAULT_X86_EMULATION);
    }

    /**
     * xc_domain_create with explicit {@code XEN_X86_EMU_*} flags, e.g. the parent's
     * {@code arch_config.emulation_flags} when forking a fully emulated HVM guest. Otherwise as
     * {@link Hypervisor#domainCreate}.
     *
     * @param config            vCPUs, HVM/HAP, the altp2m mode (≥ 4.19) and the page limit
     * @param x86EmulationFlags the XEN_X86_EMU_* bits of {@code xen_arch_domainconfig.emulation_flags}
     * @return the new, paused domain
     * @throws org.xenffm.api.XenException EINVAL for a configuration or emulation flags Xen refuses; ENOMEM
     */
    public DomainId domainCreate(DomainConfig config, int x86EmulationFlags) {
        return domains.create(config, x86EmulationFlags);
    }

    @Override public void domainDestroy(DomainId domain) { domains.destroy(domain); }

    @Override public void domainPause(DomainId domain) { domains.pause(domain); }

    @Override public void domainUnpause(DomainId domain) { domains.unpause(domain); }

    @Override public long domainMaximumGpfn(DomainId domain) { return domains.maximumGpfn(domain); }

    @Override public void domainSetmaxmem(DomainId domain, long maxMemKb) { physmap.setmaxmem(domain, maxMemKb); }

    @Override public void domainPopulatePhysmapExact(DomainId domain, List<Gfn> gfns) { physmap.populate(domain, gfns); }

    @Override public void domainDecreaseReservationExact(DomainId domain, List<Gfn> gfns) {
        physmap.decrease(domain, gfns);
    }

    @Override public X86Registers domainHvmGetcontextPartial(DomainId domain, VcpuId vcpu) {
        return hvmContext.getcontextPartial(domain, vcpu);
    }

    @Override public HvmContext domainHvmGetcontext(DomainId domain) { return hvmContext.getcontext(domain); }

    @Override public void domainHvmSetcontext(DomainId domain, HvmContext context) {
        hvmContext.setcontext(domain, context);
    }

    @Override public long hvmParamGet(DomainId domain, HvmParam param) { return domains.hvmParamGet(domain, param); }

    @Override public void hvmParamSet(DomainId domain, HvmParam param, long value) {
        domains.hvmParamSet(domain, param, value);
    }

    @Override public void hvmInjectTrap(DomainId domain, VcpuId vcpu, int vector, int type, int errorCode,
                                        int insnLen, long cr2) {
        domains.hvmInjectTrap(domain, vcpu, vector, type, errorCode, insnLen, cr2);
    }

    @Override public void domainSetAccessRequired(DomainId domain, boolean required) {
        domains.setAccessRequired(domain, required);
    }

    @Override public ForeignMapping foreignMemoryMap(DomainId domain, boolean writable, List<Gfn> gfns) {
        xc.xch();
        return foreignMemory.map(domain, writable, gfns);
    }

    // ---- mem_sharing -----------------------------------------------------------------------------------------

    @Override public void memshrControl(DomainId domain, boolean enable) { memshr.control(domain, enable); }

    @Override public SharingHandle memshrNominateGfn(DomainId domain, Gfn gfn) {
        return memshr.nominateGfn(domain, gfn);
    }

    @Override public SharingHandle memshrNominateGref(DomainId domain, GrantRef gref) {
        return memshr.nominateGref(domain, gref);
    }

    @Override public void memshrShareGfns(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                                          DomainId client, Gfn clientGfn, SharingHandle clientHandle) {
        memshr.shareGfns(source, sourceGfn, sourceHandle, client, clientGfn, clientHandle);
    }

    @Override public void memshrShareGrefs(DomainId source, GrantRef sourceGref, SharingHandle sourceHandle,
                                           DomainId client, GrantRef clientGref, SharingHandle clientHandle) {
        memshr.shareGrefs(source, sourceGref, sourceHandle, client, clientGref, clientHandle);
    }

    @Override public void memshrAddToPhysmap(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                                             DomainId client, Gfn clientGfn) {
        memshr.addToPhysmap(source, sourceGfn, sourceHandle, client, clientGfn);
    }

    @Override public void memshrRangeShare(DomainId source, DomainId client, Gfn first, Gfn last) {
        memshr.rangeShare(source, client, first, last);
    }

    @Override public int memshrAudit() { return memshr.audit(); }

    @Override public int memshrDebugGfn(DomainId domain, Gfn gfn) { return memshr.debugGfn(domain, gfn); }

    @Override public int memshrDebugGref(DomainId domain, GrantRef gref) { return memshr.debugGref(domain, gref); }

    @Override public void memshrFork(DomainId parent, DomainId child, boolean allowWithIommu,
                                     boolean blockInterrupts) {
        memshr.fork(parent, child, allowWithIommu, blockInterrupts);
    }

    @Override public void memshrForkReset(DomainId child, boolean resetState, boolean resetMemory) {
        memshr.forkReset(child, resetState, resetMemory);
    }

    @Override public int memshrRingEnable(DomainId domain) { return memshr.ringEnable(domain); }

    @Override public void memshrRingDisable(DomainId domain) { memshr.ringDisable(domain); }

    @Override public void memshrDomainResume(DomainId domain) { memshr.domainResume(domain); }

    @Override public long sharingFreedPages() { return memshr.freedPages(); }

    @Override public long sharingUsedFrames() { return memshr.usedFrames(); }

    // ---- altp2m ----------------------------------------------------------------------------------------------

    @Override public boolean altp2mGetDomainState(DomainId domain) { return altp2m.getDomainState(domain); }

    @Override public void altp2mSetDomainState(DomainId domain, boolean active) {
        altp2m.setDomainState(domain, active);
    }

    @Override public void altp2mSetVcpuEnableNotify(DomainId domain, VcpuId vcpu, Gfn veInfoGfn) {
        altp2m.setVcpuEnableNotify(domain, vcpu, veInfoGfn);
    }

    @Override public void altp2mSetVcpuDisableNotify(DomainId domain, VcpuId vcpu) {
        altp2m.setVcpuDisableNotify(domain, vcpu);
    }

    @Override public ViewId altp2mCreateView(DomainId domain, MemAccess defaultAccess) {
        return altp2m.createView(domain, defaultAccess);
    }

    @Override public void altp2mDestroyView(DomainId domain, ViewId view) { altp2m.destroyView(domain, view); }

    @Override public void altp2mSwitchToView(DomainId domain, ViewId view) { altp2m.switchToView(domain, view); }

    @Override public ViewId altp2mGetVcpuP2mIdx(DomainId domain, VcpuId vcpu) {
        return altp2m.getVcpuP2mIdx(domain, vcpu);
    }

    @Override public void altp2mSetVisibility(DomainId domain, ViewId view, boolean visible) {
        altp2m.setVisibility(domain, view, visible);
    }

    @Override public void altp2mSetSuppressVe(DomainId domain, ViewId view, Gfn gfn, boolean suppress) {
        altp2m.setSuppressVe(domain, view, gfn, suppress);
    }

    @Override public SuppressVeResult altp2mSetSuppressVeMulti(DomainId domain, ViewId view, Gfn first, Gfn last,
                                                               boolean suppress) {
        return altp2m.setSuppressVeMulti(domain, view, first, last, suppress);
    }

    @Override public boolean altp2mGetSuppressVe(DomainId domain, ViewId view, Gfn gfn) {
        return altp2m.getSuppressVe(domain, view, gfn);
    }

    @Override public void altp2mSetMemAccess(DomainId domain, ViewId view, Gfn gfn, MemAccess access) {
        altp2m.setMemAccess(domain, view, gfn, access);
    }

    @Override public void altp2mSetMemAccessMulti(DomainId domain, ViewId view, List<GfnAccess> entries) {
        altp2m.setMemAccessMulti(domain, view, entries);
    }

    @Override public MemAccess altp2mGetMemAccess(DomainId domain, ViewId view, Gfn gfn) {
        return altp2m.getMemAccess(domain, view, gfn);
    }

    @Override public void altp2mChangeGfn(DomainId domain, ViewId view, Gfn oldGfn, Gfn newGfn) {
        altp2m.changeGfn(domain, view, oldGfn, newGfn);
    }

    // ---- host mem_access -------------------------------------------------------------------------------------

    @Override public void setMemAccess(DomainId domain, MemAccess access, Gfn first, int nr) {
        memAccess.set(domain, access, first, nr);
    }

    @Override public void setMemAccessMulti(DomainId domain, List<GfnAccess> entries) {
        memAccess.setMulti(domain, entries);
    }

    @Override public MemAccess getMemAccess(DomainId domain, Gfn gfn) { return memAccess.get(domain, gfn); }

    // ---- monitor / vm_event ----------------------------------------------------------------------------------

    @Override public int vmEventGetVersion() { return monitor.vmEventGetVersion(); }

    @Override public MonitorRing monitorEnable(DomainId domain) { return monitor.enable(domain); }

    @Override public void monitorDisable(DomainId domain) { monitor.disable(domain); }

    @Override public void monitorResume(DomainId domain) { monitor.resume(domain); }

    @Override public Set<MonitorEvent> monitorGetCapabilities(DomainId domain) {
        return monitor.capabilities(domain);
    }

    @Override public void monitorWriteCtrlreg(DomainId domain, ControlRegister reg, boolean enable, boolean sync,
                                              long bitmask, boolean onChangeOnly) {
        monitor.writeCtrlreg(domain, reg, enable, sync, bitmask, onChangeOnly);
    }

    @Override public void monitorMovToMsr(DomainId domain, int msr, boolean enable, boolean onChangeOnly) {
        monitor.movToMsr(domain, msr, enable, onChangeOnly);
    }

    @Override public void monitorSingleStep(DomainId domain, boolean enable) { monitor.singlestep(domain, enable); }

    @Override public void monitorSoftwareBreakpoint(DomainId domain, boolean enable) {
        monitor.softwareBreakpoint(domain, enable);
    }

    @Override public void monitorDescriptorAccess(DomainId domain, boolean enable) {
        monitor.descriptorAccess(domain, enable);
    }

    @Override public void monitorGuestRequest(DomainId domain, boolean enable, boolean sync,
                                              boolean allowUserspace) {
        monitor.guestRequest(domain, enable, sync, allowUserspace);
    }

    @Override public void monitorInguestPagefault(DomainId domain, boolean disable) {
        monitor.inguestPagefault(domain, disable);
    }

    @Override public void monitorDebugExceptions(DomainId domain, boolean enable, boolean sync) {
        monitor.debugExceptions(domain, enable, sync);
    }

    @Override public void monitorCpuid(DomainId domain, boolean enable) { monitor.cpuid(domain, enable); }

    @Override public void monitorPrivilegedCall(DomainId domain, boolean enable) {
        monitor.privilegedCall(domain, enable);
    }

    @Override public void monitorEmulUnimplemented(DomainId domain, boolean enable) {
        monitor.emulUnimplemented(domain, enable);
    }

    @Override public void monitorVmexit(DomainId domain, boolean enable, boolean sync) {
        monitor.vmexit(domain, enable, sync);
    }

    @Override public void monitorEmulateEachRep(DomainId domain, boolean enable) {
        monitor.emulateEachRep(domain, enable);
    }

    @Override public void monitorIo(DomainId domain, boolean enable) {
        xc.xch();
        monitor.io(domain, enable);
    }

    @Override public EventChannel eventChannelOpen() {
        xc.xch();
        XenEventChannel[] self = new XenEventChannel[1];
        XenEventChannel ch = new XenEventChannel(lib, log, () -> channels.remove(self[0]));
        self[0] = ch;
        channels.add(ch);
        return ch;
    }

    /**
     * First lets every vm_event consumer of a ring enabled here tear down (its hook answers, restores, disables and
     * unpauses while the handle still works), then closes the event channels opened here, unmaps foreign mappings,
     * disables and unmaps monitor rings still enabled, and closes the xc_interface. Idempotent.
     */
    @Override public void close() {
        monitor.closeHooks.runAll(); // outside the lock: a session's teardown calls back into this handle
        closeHandles();
    }

    private synchronized void closeHandles() {
        if (closed) {
            xc.close(); // retries the final release if an earlier close found a call in flight
            return;
        }
        closed = true;
        for (XenEventChannel ch : Set.copyOf(channels)) {
            try {
                ch.close();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(XenHypervisor.class).warn("closing an event channel: {}", e.getMessage());
            }
        }
        foreignMemory.close();
        monitor.closeAll();
        xc.close();
    }

    @Override public String toString() {
        return "XenHypervisor[Xen " + xc.version + ", " + lib.xenctrlSoname() + (xc.isClosed() ? ", closed]" : "]");
    }
}
