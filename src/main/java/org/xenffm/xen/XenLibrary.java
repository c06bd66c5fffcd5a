// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.xenffm.api.Errno;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.XenVersion;

/**
 * The Xen userspace libraries, opened by soname: libxenctrl for the running Xen minor (its soname changes with
 * every release: {@code libxenctrl.so.4.17}, {@code .so.4.20}, ...), and the stable libxenevtchn.so.1 and
 * libxenforeignmemory.so.1. {@link #load()} takes the soname in the system property {@value #SONAME_PROPERTY}, or
 * else the first carried release this host has ({@value #DEFAULT_XENCTRL_SONAME} first); {@link #load(String)} takes
 * any. {@link #checkHypervisor} then holds the running hypervisor to the same release. The soname decides the ABI
 * ({@link #abi()}): 4.17 and 4.20 are carried (org.xenffm.bindings.xen417 / xen420); another release is an
 * addition (its bindings, an entry in the bindings map, and any struct that changed layout), not a rewrite.
 *
 * <p>Each library is also {@link System#load}ed by the path the dynamic linker resolved, because the generated
 * bindings (made without {@code -l}) look their symbols up through the class loader: that is what makes
 * {@code Xen.xc_foo$descriptor()} usable. Loaded libraries stay loaded for the life of the process (one instance
 * per soname), as libxenctrl itself expects.
 */
public final class XenLibrary {

    /** The system property naming the libxenctrl soname to open. */
    public static final String SONAME_PROPERTY = "xenffm.libxenctrl";
    /** The libxenctrl {@link #load()} tries first: Xen 4.17's, Debian 12's. */
    public static final String DEFAULT_XENCTRL_SONAME = "libxenctrl.so.4.17";

    /** The libraries the backend calls into. */
    public enum Lib {
        /** libxenctrl.so.MAJOR.MINOR: the xc_* calls. */
        XENCTRL,
        /** libxenevtchn.so.1: event channels. */
        XENEVTCHN,
        /** libxenforeignmemory.so.1: mapping guest memory. */
        XENFOREIGNMEMORY,
        /**
         * libxenstore.so.4: domain names ({@link XenXenstore}). Opened on first use, not with the others: a dom0
         * without it still runs everything else.
         */
        XENSTORE,
        /** The C library (mmap, poll). */
        LIBC
    }

    private static final Map<String, XenLibrary> LOADED = new ConcurrentHashMap<>();

    /** The Xen releases whose bindings xenffm carries, by binding package. */
    private static final Map<XenVersion, String> BINDINGS = Map.of(
            XenVersion.V4_17, "org.xenffm.bindings.xen417.Xen",
            XenVersion.V4_20, "org.xenffm.bindings.xen420.Xen");
    static {
        if (!BINDINGS.keySet().equals(java.util.Set.copyOf(XenVersion.SUPPORTED)))
            throw new AssertionError("XenVersion.SUPPORTED and the carried bindings differ");
    }

    private final String xenctrlSoname;
    private final XenVersion abi;
    // concurrent: libxenstore's entries are added on first use, from whichever thread needs it
    private final Map<Lib, SymbolLookup> lookups = new ConcurrentHashMap<>();
    private final Map<Lib, Path> files = new ConcurrentHashMap<>();

    private XenLibrary(String xenctrlSoname) {
        this.xenctrlSoname = xenctrlSoname;
        abi = abiOf(xenctrlSoname);   // first: a release xenffm does not carry is refused whether installed or not
        requireBindingsGrant();
        open(Lib.XENCTRL, "xc_interface_open");
        open(Lib.XENEVTCHN, "xenevtchn_open");
        open(Lib.XENFOREIGNMEMORY, "xenforeignmemory_open");
        lookups.put(Lib.LIBC, java.lang.foreign.Linker.nativeLinker().defaultLookup());
    }

    /**
     * The JVM option that grants the FFM backend native access, for the way xenffm was loaded: on the module path
     * both org.xenffm and org.xenffm.bindings (the generated code links the functions it describes), on the class
     * path ALL-UNNAMED.
     */
    public static final String NATIVE_ACCESS_FLAG = XenLibrary.class.getModule().isNamed()
            ? "--enable-native-access=" + XenLibrary.class.getModule().getName() + ","
                    + org.xenffm.bindings.xen417.Xen.class.getModule().getName()
            : "--enable-native-access=ALL-UNNAMED";

    /**
     * On the module path, a grant to org.xenffm without org.xenffm.bindings: opening a handle needs none of the
     * generated code (its signatures are written by hand, {@link NativeFunction#xenctrlByHand}), but every other
     * call links through the bindings, which would then be refused one by one; refused here, at load, instead.
     */
    private static void requireBindingsGrant() {
        Module own = XenLibrary.class.getModule(), bindings = org.xenffm.bindings.xen417.Xen.class.getModule();
        if (own != bindings && own.isNativeAccessEnabled() && !bindings.isNativeAccessEnabled())
            throw noNativeAccess("dlopen", new IllegalCallerException(bindings.getName() + " has no native access"));
    }

    private static XenNotAvailableException noNativeAccess(String operation, Throwable cause) {
        return new XenNotAvailableException(operation, Errno.EPERM.value(), "native access is not enabled for "
                + "xenffm's FFM backend: start the JVM with " + NATIVE_ACCESS_FLAG + " (" + cause.getMessage() + ")");
    }

    /**
     * The libraries for the soname in {@value #SONAME_PROPERTY}; without it, the first carried release whose
     * libxenctrl this host has ({@value #DEFAULT_XENCTRL_SONAME} first, then the newer ones of
     * {@link XenVersion#SUPPORTED}): Debian 12 ships only libxenctrl.so.4.17, Debian 13 only .so.4.20, so one jar
     * finds the right library on either. {@link XenHypervisor#XenHypervisor()} then checks it against the running
     * hypervisor.
     *
     * @return the loaded libraries
     * @throws XenNotAvailableException no carried libxenctrl is installed
     * @throws UnsupportedXenVersionException the pinned soname is a release xenffm does not carry
     */
    public static XenLibrary load() {
        String configured = System.getProperty(SONAME_PROPERTY);
        return configured != null ? load(configured) : loadFirst(candidateSonames());
    }

    /** The first of these sonames that this host has. */
    static XenLibrary loadFirst(java.util.List<String> sonames) {
        XenNotAvailableException first = null;
        for (String soname : sonames) {
            try {
                return load(soname);
            } catch (XenNotAvailableException e) {
                if (e.errno() == Errno.EPERM) throw e; // no native access: no other soname would load either
                if (first == null) first = e;
            }
        }
        throw new XenNotAvailableException("dlopen", Errno.ENOENT.value(), "no libxenctrl of a supported Xen found "
                + "(tried " + String.join(", ", sonames) + "; first: " + first.getMessage() + ")");
    }

    /** The sonames {@link #load()} tries, in order. */
    static java.util.List<String> candidateSonames() {
        java.util.List<String> l = new java.util.ArrayList<>(java.util.List.of(DEFAULT_XENCTRL_SONAME));
        for (XenVersion v : XenVersion.SUPPORTED) if (!l.contains(v.xenctrlSoname())) l.add(v.xenctrlSoname());
        return l;
    }

    /** Whether {@value #SONAME_PROPERTY} pins the library (then no other release is tried). */
    static boolean sonamePinned() { return System.getProperty(SONAME_PROPERTY) != null; }

    /**
     * The running hypervisor must be a carried release and the same release as this libxenctrl: libxenctrl stamps
     * every domctl/sysctl with its release's interface version, which the hypervisor checks (EACCES on a
     * mismatch), so a 4.17 library on a 4.20 hypervisor could only fail call by call.
     *
     * @throws UnsupportedXenVersionException naming the supported releases and the library to use
     */
    void checkHypervisor(XenVersion hypervisor) {
        if (!hypervisor.supported())
            throw new UnsupportedXenVersionException("xc_version", hypervisor, abi, "the hypervisor runs Xen "
                    + hypervisor + ", a release xenffm does not carry");
        if (!hypervisor.equals(abi))
            throw new UnsupportedXenVersionException("xc_version", hypervisor, abi, "the hypervisor runs Xen "
                    + hypervisor + " but the libxenctrl loaded is " + xenctrlSoname + " (Xen " + abi
                    + "): install " + hypervisor.xenctrlSoname() + " (Debian package libxenmisc" + hypervisor
                    + ") or set -D" + SONAME_PROPERTY + "=" + hypervisor.xenctrlSoname());
    }

    /**
     * Opens libxenctrl by the given soname (plus libxenevtchn.so.1 and libxenforeignmemory.so.1); each soname
     * is loaded once per process.
     *
     * @param xenctrlSoname e.g. {@code libxenctrl.so.4.20}
     * @return the loaded libraries
     * @throws UnsupportedXenVersionException a release xenffm carries no bindings for
     * @throws XenNotAvailableException naming the missing soname and the Debian package that provides it
     */
    public static XenLibrary load(String xenctrlSoname) {
        return LOADED.computeIfAbsent(xenctrlSoname, XenLibrary::new);
    }

    /** {@return the libxenctrl soname this instance opened, e.g. {@code libxenctrl.so.4.17}} */
    public String xenctrlSoname() { return xenctrlSoname; }

    /** {@return the Xen release of this libxenctrl (from its soname): which bindings and struct layouts apply} */
    public XenVersion abi() { return abi; }

    /** {@code libxenctrl.so.4.20} → 4.20, if xenffm carries bindings for it. */
    static XenVersion abiOf(String soname) {
        XenVersion v;
        try {
            v = XenVersion.parse(soname.replaceFirst("^libxenctrl\\.so\\.", ""));
        } catch (IllegalArgumentException e) {
            throw new XenNotAvailableException("dlopen", Errno.ENOENT.value(),
                    soname + " is not a libxenctrl soname (libxenctrl.so.MAJOR.MINOR)");
        }
        if (!BINDINGS.containsKey(v))
            throw new UnsupportedXenVersionException("dlopen", null, v, "xenffm has no bindings for Xen " + v
                    + " (" + soname + ")");
        return v;
    }

    /**
     * A function's C signature in this library's release: the 4.17 bindings' descriptor on 4.17, otherwise the
     * same-named {@code xc_foo$descriptor()} of that release's bindings (jextract's naming is fixed, so it is
     * found by name).
     */
    FunctionDescriptor descriptor(NativeFunction f) {
        if (!f.existsIn(abi))
            throw new UnsupportedOnThisXenException(f.name(), abi, f.since().toString());
        try {
            // libc's and the hand-written ones serve any release
            if (abi.equals(XenVersion.V4_17) || f.lib() == Lib.LIBC || f.byHand()) return f.descriptor().get();
            Class<?> c = Class.forName(BINDINGS.get(abi));
            return (FunctionDescriptor) c.getMethod(f.name() + "$descriptor").invoke(null);
        } catch (ExceptionInInitializerError | ReflectiveOperationException e) {
            IllegalCallerException denied = deniedNativeAccess(e);
            if (denied != null) throw noNativeAccess(f.name(), denied);
            if (e instanceof Error err) throw err;
            throw new IllegalStateException("no descriptor for " + f.name() + " from the Xen " + abi + " bindings", e);
        }
    }

    /**
     * The generated holder links the function as it is initialised, a restricted call from org.xenffm.bindings:
     * without native access its initialiser fails — directly, or wrapped by the reflective call that ran it.
     */
    private static IllegalCallerException deniedNativeAccess(Throwable t) {
        if (t instanceof java.lang.reflect.InvocationTargetException ite) t = ite.getCause();
        return t instanceof ExceptionInInitializerError ei && ei.getCause() instanceof IllegalCallerException ice
                ? ice : null;
    }

    /**
     * The file the dynamic linker loaded for a library.
     *
     * @param lib the library
     * @return its path, empty for libc
     */
    public Optional<Path> file(Lib lib) { return Optional.ofNullable(files.get(lib)); }

    /**
     * The soname this instance uses for a library.
     *
     * @param lib the library
     * @return e.g. {@code libxenevtchn.so.1}; "libc" for the C library
     */
    public String soname(Lib lib) {
        return switch (lib) {
            case XENCTRL -> xenctrlSoname;
            case XENEVTCHN -> "libxenevtchn.so.1";
            case XENFOREIGNMEMORY -> "libxenforeignmemory.so.1";
            case XENSTORE -> "libxenstore.so.4";
            case LIBC -> "libc";
        };
    }

    /** The Debian package that ships a soname (libxenctrl.so.4.17 lives in libxenmisc4.17). */
    String debianPackage(Lib lib) {
        return switch (lib) {
            case XENCTRL -> "libxenmisc" + xenctrlSoname.replaceFirst("^libxenctrl\\.so\\.", "");
            case XENEVTCHN -> "libxenevtchn1";
            case XENFOREIGNMEMORY -> "libxenforeignmemory1";
            case XENSTORE -> "libxenstore4";
            case LIBC -> "libc6";
        };
    }

    /** A lazily linked, errno-capturing handle for a function of one of these libraries. */
    Downcall downcall(NativeFunction f) {
        SymbolLookup lookup = f.lib() == Lib.XENSTORE ? name -> xenstore().find(name) : lookups.get(f.lib());
        return new Downcall(f, lookup, soname(f.lib()), () -> descriptor(f));
    }

    /**
     * libxenstore, loaded on first use.
     *
     * @throws XenNotAvailableException (ENOENT) it is not installed: the message names the package
     */
    synchronized SymbolLookup xenstore() {
        if (!lookups.containsKey(Lib.XENSTORE)) open(Lib.XENSTORE, "xs_open");
        return lookups.get(Lib.XENSTORE);
    }

    private void open(Lib lib, String probeSymbol) {
        String soname = soname(lib);
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(soname, Arena.global());
        } catch (IllegalCallerException e) { // --illegal-native-access=deny and no grant for this module (JEP 472)
            throw noNativeAccess("dlopen", e);
        } catch (IllegalArgumentException e) {
            throw new XenNotAvailableException("dlopen", Errno.ENOENT.value(), soname + " not found ("
                    + e.getMessage() + "): install the Debian package " + debianPackage(lib)
                    + " (or libxen-dev), or use --backend emulated"
                    + (lib == Lib.XENSTORE ? "; domain names need it, numeric domain ids work without it" : ""));
        }
        MemorySegment probe = lookup.find(probeSymbol).orElseThrow(() -> new XenNotAvailableException("dlopen",
                Errno.ENOENT.value(), soname + " does not export " + probeSymbol + ": not a Xen tools library"));
        Path file = LibC.fileOf(probe).orElseThrow(() -> new XenNotAvailableException("dladdr",
                Errno.ENOENT.value(), "cannot tell which file " + soname + " was loaded from"));
        try {
            System.load(file.toString()); // lets the bindings' loaderLookup() resolve this library's symbols
        } catch (UnsatisfiedLinkError e) {
            throw new XenNotAvailableException("System.load", Errno.ENOENT.value(),
                    file + " (" + soname + ") cannot be registered with the class loader: " + e.getMessage());
        }
        lookups.put(lib, lookup);
        files.put(lib, file);
    }

    @Override public String toString() { return "XenLibrary[" + xenctrlSoname + " at " + files.get(Lib.XENCTRL) + "]"; }
}
