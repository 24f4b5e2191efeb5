using Conformance.Emulation;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Patching;

/// <summary>Where a site goes and what it holds at the start: <see cref="Target"/> is the index of the
/// target it calls or jumps to, -1 for its NOP form.</summary>
public sealed record SiteSpec(string Name, ulong Address, SiteKind Kind, int Target, Abi Abi = Abi.C)
{
    /// <summary>The loop runs this site inside an IRQs-off region (<c>cli</c> before, <c>sti</c> after), as code under a spinlock taken with IRQs off.</summary>
    public bool InterruptsOff { get; init; }

    /// <summary>
    /// The loop runs this site holding a spinlock taken with IRQs off: <c>cli</c>, then a ticket
    /// lock (<c>lock xadd</c> takes a ticket, the CPU spins with <c>pause</c> until the owner count
    /// reaches it), released after the site (the owner count incremented, then <c>sti</c>). Every
    /// task takes the same lock, so a CPU can spin with IRQs off while another holds it. The lock is
    /// fair (first come, first served), as Linux's are: under a fair schedule no CPU starves.
    /// Implies <see cref="InterruptsOff"/>.
    /// </summary>
    public bool Spinlock { get; init; }

    /// <summary>
    /// The instructions the site can hold, chosen by the test (<see cref="SiteForm"/>): when set,
    /// <see cref="Target"/> and a request's from/to index this list instead of the kind's fixed set
    /// (any bytes for any kind, a call that becomes a jmp, a hot-patch through the padding).
    /// </summary>
    public IReadOnlyList<SiteForm>? Forms { get; init; }
}

/// <summary>
/// The x86 code tasks run over the patch sites, assembled with Iced: a loop that visits every site
/// in address order (a <c>jmp</c> after each leads to the next, the last back to the start), and
/// target functions that count their visits in data, so a skipped or misdirected call shows.
/// </summary>
/// <remarks>
/// Layout: text at <see cref="TextBase"/> (the loop's entry at <see cref="Entry"/>, sites where
/// the specs put them, call targets from <see cref="TargetBase"/>, <see cref="TargetSpacing"/> apart, jmp
/// targets from <see cref="JmpTargetBase"/>), counters in data at
/// <see cref="DataBase"/>: counter k is the 8 bytes at <c>DataBase + 8k</c>. A call target is
/// <c>inc qword [counter]; ret</c>; a jmp site's targets end with <c>jmp site.Next</c>; a 2-byte
/// site is followed by <c>inc qword [skip counter]</c>, which <c>66 90</c> runs and <c>eb 08</c> skips;
/// a trampoline site is reached by a <c>call</c> placed in the loop.
/// </remarks>
public sealed class Workload
{
    public const ulong TextBase = 0x40_0000, TargetBase = 0x40_4000, JmpTargetBase = 0x40_c000, DataBase = 0x60_0000, StubBase = 0x48_0000;
    public const int TextSize = 0x1_0000, DataSize = 0x1000, StubSize = 0x1000;
    /// <summary>Call targets are this far apart, so the rel32s of two calls differ in two bytes (a store of one can tear).</summary>
    public const ulong TargetSpacing = 0x404;
    /// <summary>
    /// Targets from <see cref="FirstFarTarget"/> on (call and jmp targets alike) live in the far text, the
    /// text's twin this much higher: a rel32 to a far target differs from one to a near target in all
    /// four bytes (every byte of the distance is non-zero and small, so adding it changes every byte),
    /// as a real retarget to another function does (Rostedt's <c>e8 01 02 03 04</c> -> <c>e8 ab cd ef 01</c>).
    /// With near targets alone only the two low bytes of a rel32 would ever change, and a tear between
    /// the others could never show (a false pass for layouts that split there).
    /// </summary>
    public const ulong FarDistance = 0x0202_0202;
    /// <summary>The first target placed in the far text.</summary>
    public const int FirstFarTarget = 3;
    /// <summary>Where the far text starts: <see cref="TextBase"/> + <see cref="FarDistance"/>, <see cref="TextSize"/> bytes.</summary>
    public const ulong FarTextBase = TextBase + FarDistance;
    /// <summary>The loop starts at the first byte of text; sites go at or after <see cref="SiteArea"/>.</summary>
    public const ulong Entry = TextBase, SiteArea = TextBase + 0x40;
    /// <summary>Where a trampoline site's caller is placed: its <c>call</c> sits in the loop here.</summary>
    public const ulong CallerArea = TextBase + 0x2000;
    /// <summary>The counter a 2-byte site's fall-through increments.</summary>
    public const int SkipCounter = 63;
    /// <summary>Where a spinlocked site's lock and unlock code goes (<see cref="SpinlockCodeSize"/> bytes per site).</summary>
    public const ulong SpinlockArea = TextBase + 0x3000;
    public const int SpinlockCodeSize = 0x40;

    /// <summary>Site <paramref name="i"/>'s ticket lock in data after the counters: the next ticket (4 bytes), then the owner (4 bytes).</summary>
    public static ulong LockWord(int i) => DataBase + 0x400 + (ulong)i * 8;

    private readonly Dictionary<(int Site, int Target), ulong> _jmpTargets = new();

    private Workload(IReadOnlyList<SiteSpec> specs, int targets)
    {
        Specs = specs;
        Targets = targets;
        Sites = specs.Select(s => new PatchSite(s.Name, s.Address, s.Kind, LengthOf(s.Kind), s.Abi)).ToArray();
    }

    public IReadOnlyList<SiteSpec> Specs { get; }
    public IReadOnlyList<PatchSite> Sites { get; }
    public int Targets { get; }
    public byte[] Code { get; private set; } = Array.Empty<byte>();

    /// <summary>The far text's bytes (<see cref="FarTextBase"/>): the targets from <see cref="FirstFarTarget"/> on.</summary>
    public byte[] FarCode { get; private set; } = Array.Empty<byte>();

    /// <summary>Whether <paramref name="address"/> is in the workload's code: the text or the far text.</summary>
    public static bool InCode(ulong address) =>
        (address >= TextBase && address < TextBase + (ulong)TextSize) || (address >= FarTextBase && address < FarTextBase + (ulong)TextSize);

    /// <summary>Where target <paramref name="k"/>'s code goes, given its place in the near text.</summary>
    private static ulong Placed(int k, ulong near) => k >= FirstFarTarget ? near + FarDistance : near;

    public static int LengthOf(SiteKind kind) => kind switch { SiteKind.CsCall => 6, SiteKind.Short => 2, _ => 5 };

    /// <summary>The function call target <paramref name="k"/> (counts into counter k).</summary>
    public static ulong CallTarget(int k) => Placed(k, TargetBase + (ulong)k * TargetSpacing);

    /// <summary>The counter of target <paramref name="k"/>.</summary>
    public static ulong Counter(int k) => DataBase + (ulong)k * 8;

    /// <summary>The jump target <paramref name="k"/> of jmp site <paramref name="site"/> (counts, then continues after the site).</summary>
    public ulong JmpTarget(int site, int k) => _jmpTargets[(site, k)];

    /// <summary>The instruction site <paramref name="site"/> holds when it goes to target <paramref name="k"/> (-1: its NOP form).</summary>
    public byte[] InstructionFor(int site, int k)
    {
        var s = Sites[site];
        if (Specs[site].Forms is { } forms) return FormBytes(site, FormAt(site, forms, k));
        return s.Kind switch
        {
            SiteKind.Call or SiteKind.Nop5 => k < 0 ? Forms.Nop5 : Forms.Call(s.Address, CallTarget(k)),
            SiteKind.CsCall => k < 0 ? [Forms.CsPrefix, .. Forms.Nop5[..5]] : Forms.CsCall(s.Address, CallTarget(k)),
            SiteKind.Jmp => k < 0 ? Forms.Nop5 : Forms.Jmp(s.Address, JmpTarget(site, k)),
            SiteKind.Trampoline => k < 0 ? [0xc3, 0xcc, 0xcc, 0xcc, 0xcc] : Forms.Jmp(s.Address, CallTarget(k)),
            _ => k < 0 ? Forms.Nop2 : Forms.Jmp8(s.Address, s.Next + 8),
        };
    }

    /// <summary>A request moving site <paramref name="site"/> from target <paramref name="from"/>'s instruction to target <paramref name="to"/>'s (-1: NOP).</summary>
    public PatchRequest Request(int site, int from, int to) =>
        new(Sites[site], InstructionFor(site, from), InstructionFor(site, to)) { Padding = PaddingFor(site, to) };

    /// <summary>What form <paramref name="k"/> of a site with chosen forms writes outside the site (a hot-patch's padding jmp); empty for the rest.</summary>
    public IReadOnlyList<CodeBytes> PaddingFor(int site, int k) =>
        Specs[site].Forms is { } forms && FormAt(site, forms, k) is SiteForm.JmpViaPadding hot
            ? [new CodeBytes(Sites[site].Address - HotPatchPadding, Forms.Jmp(Sites[site].Address - HotPatchPadding, JmpTarget(site, hot.Target)))]
            : [];

    /// <summary>The code outside the sites that some form of a site writes (watched like the sites: fetches there are checked).</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Padding =>
        Enumerable.Range(0, Sites.Count).Where(i => Specs[i].Forms?.Any(f => f is SiteForm.JmpViaPadding) == true)
            .Select(i => (Sites[i].Address - HotPatchPadding, Sites[i].Address)).ToArray();

    /// <summary>The padding bytes a hot-patch's long jmp takes before a 2-byte entry.</summary>
    public const int HotPatchPadding = 5;

    private static SiteForm FormAt(int site, IReadOnlyList<SiteForm> forms, int k) =>
        k >= 0 && k < forms.Count ? forms[k] : throw new ArgumentException($"site {site}: form {k} out of range (0..{forms.Count - 1})");

    private byte[] FormBytes(int site, SiteForm form)
    {
        var s = Sites[site];
        return form switch
        {
            SiteForm.Raw raw => raw.Bytes,
            SiteForm.CallTo call => Forms.Call(s.Address, CallTarget(call.Target)),
            SiteForm.JmpTo jmp => s.Length == 2 ? Forms.Jmp8(s.Address, JmpTarget(site, jmp.Target)) : Forms.Jmp(s.Address, JmpTarget(site, jmp.Target)),
            SiteForm.JmpViaPadding => Forms.Jmp8(s.Address, s.Address - HotPatchPadding),
            _ => throw new ArgumentException($"unknown site form {form}"),
        };
    }

    /// <summary>Lays out and assembles the loop, the sites and the targets.</summary>
    public static Workload Build(IReadOnlyList<SiteSpec> specs, int targets = 3)
    {
        if (specs.Count == 0) throw new ArgumentException("a workload needs at least one site");
        if (targets is < 1 or > 32) throw new ArgumentException($"targets = {targets}: 1 to 32");
        var ordered = specs.OrderBy(s => s.Address).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            var s = ordered[i];
            ulong end = s.Address + (ulong)LengthOf(s.Kind) + TailLength(s.Kind);
            if (s.Address < SiteArea || end > CallerArea)
                throw new ArgumentException($"site {s.Name} at 0x{s.Address:x} must lie in [0x{SiteArea:x}, 0x{CallerArea:x}) with its {TailLength(s.Kind)}-byte tail");
            if (i + 1 < ordered.Length && end > ordered[i + 1].Address)
                throw new ArgumentException($"site {s.Name} (with its tail, up to 0x{end:x}) overlaps site {ordered[i + 1].Name} at 0x{ordered[i + 1].Address:x}");
            if (s.Forms is null && s.Target >= targets) throw new ArgumentException($"site {s.Name}: target {s.Target} out of range (0..{targets - 1})");
            if (s.Forms is { } forms) CheckForms(s, forms, targets, i == 0 ? SiteArea : ordered[i - 1].Address + (ulong)LengthOf(ordered[i - 1].Kind) + TailLength(ordered[i - 1].Kind));
        }
        var w = new Workload(ordered, targets);
        w.Code = w.Assemble();
        return w;
    }

    /// <summary>A site's chosen forms must fit it: raw bytes of its length, targets in range, a hot-patch only at a 2-byte site with free padding before it.</summary>
    private static void CheckForms(SiteSpec s, IReadOnlyList<SiteForm> forms, int targets, ulong previousEnd)
    {
        int length = LengthOf(s.Kind);
        if (s.Target < 0 || s.Target >= forms.Count) throw new ArgumentException($"site {s.Name}: initial form {s.Target} out of range (0..{forms.Count - 1})");
        foreach (var f in forms)
        {
            switch (f)
            {
                case SiteForm.Raw raw when raw.Bytes.Length != length:
                    throw new ArgumentException($"site {s.Name}: form {f} is {raw.Bytes.Length} bytes; a {s.Kind} site is {length}");
                case SiteForm.CallTo or SiteForm.JmpTo or SiteForm.JmpViaPadding when TargetOf(f) < 0 || TargetOf(f) >= targets:
                    throw new ArgumentException($"site {s.Name}: form {f}: target out of range (0..{targets - 1})");
                case SiteForm.CallTo when length != 5:
                    throw new ArgumentException($"site {s.Name}: form {f} needs a 5-byte site");
                case SiteForm.JmpViaPadding when length != 2:
                    throw new ArgumentException($"site {s.Name}: form {f} needs a 2-byte site");
                case SiteForm.JmpViaPadding when s.Address - HotPatchPadding < previousEnd:
                    throw new ArgumentException($"site {s.Name}: form {f} needs {HotPatchPadding} free bytes before 0x{s.Address:x}");
            }
        }
    }

    private static int TargetOf(SiteForm f) => f switch
    {
        SiteForm.CallTo c => c.Target,
        SiteForm.JmpTo j => j.Target,
        SiteForm.JmpViaPadding h => h.Target,
        _ => 0,
    };

    /// <summary>Bytes after a site that the loop needs: the 8-byte counter of a 2-byte site, then a 5-byte jmp.</summary>
    public static ulong TailLength(SiteKind kind) => kind == SiteKind.Short ? 8UL + 5 : 5;

    private byte[] Assemble()
    {
        var image = new SortedDictionary<ulong, byte[]>();

        // Entry: into the first site (a trampoline site is entered through its caller; an IRQs-off
        // site through a cli in its caller slot, and it leaves through an sti there).
        image[Entry] = Forms.Jmp(Entry, VisitAddress(0));
        ulong jmpTarget = JmpTargetBase;
        // Jmp targets for sites whose chosen forms jump, after every jmp site's: the usual layouts do not move.
        ulong formTarget = JmpTargetBase + (ulong)(Sites.Count(x => x.Kind == SiteKind.Jmp) * Targets * 0x20);
        for (int i = 0; i < Sites.Count; i++)
            if (Sites[i].Kind != SiteKind.Jmp && Specs[i].Forms?.Any(f => f is SiteForm.JmpTo or SiteForm.JmpViaPadding) == true)
                for (int k = 0; k < Targets; k++, formTarget += 0x20) _jmpTargets[(i, k)] = formTarget;
        if (formTarget > TextBase + TextSize) throw new ArgumentException("too many jmp targets for the text region");
        for (int i = 0; i < Sites.Count; i++)
        {
            var s = Sites[i];
            ulong next = i + 1 < Sites.Count ? VisitAddress(i + 1) : Entry;
            bool spinlock = Specs[i].Spinlock;
            bool irqOff = Specs[i].InterruptsOff && !spinlock;
            ulong slot = CallerAddress(i);
            if (spinlock)
            {
                var (lockCode, unlock) = SpinlockCode(i, s, next);
                image[SpinlockEntry(i)] = lockCode;
                next = unlock;                                                       // the site's tail leaves through the unlock
            }
            else if (irqOff && s.Kind != SiteKind.Trampoline)
            {
                image[slot] = [0xfa, .. Forms.Jmp(slot + 1, s.Address)];            // cli; jmp site
                image[slot + 6] = [0xfb, .. Forms.Jmp(slot + 7, next)];             // sti; jmp next
                next = slot + 6;                                                     // the site's tail leaves through the sti
            }
            if (s.Kind == SiteKind.Jmp)
                for (int k = 0; k < Targets; k++)
                {
                    ulong at = Placed(k, jmpTarget);
                    _jmpTargets[(i, k)] = at;
                    image[at] = [.. IncCounter(k), .. Forms.Jmp(at + 8, s.Next)];
                    jmpTarget += 0x20;
                }
            image[s.Address] = InstructionFor(i, Specs[i].Target);
            foreach (var pad in PaddingFor(i, Specs[i].Target)) image[pad.Address] = pad.Bytes;
            if (s.Kind == SiteKind.Short)
            {
                image[s.Next] = IncCounter(SkipCounter);
                image[s.Next + 8] = Forms.Jmp(s.Next + 8, next);
            }
            else if (s.Kind == SiteKind.Trampoline && spinlock)
                image[s.Next] = [0x0f, 0xb9, 0xcc];   // the signature; the spinlock code holds the call
            else if (s.Kind == SiteKind.Trampoline)
            {
                ulong caller = CallerAddress(i), at = caller;
                if (irqOff) image[at++] = [0xfa];                                    // cli
                image[at] = Forms.Call(at, s.Address);
                at += 5;
                if (irqOff) image[at++] = [0xfb];                                    // sti
                image[at] = Forms.Jmp(at, next);
                image[s.Next] = [0x0f, 0xb9, 0xcc];   // ud1 %esp,%ecx: the static-call trampoline signature
            }
            else
                image[s.Next] = Forms.Jmp(s.Next, next);
        }
        foreach (var ((i, k), at) in _jmpTargets.OrderBy(e => e.Value))
            if (Sites[i].Kind != SiteKind.Jmp) image[at] = [.. IncCounter(k), .. Forms.Jmp(at + 8, Sites[i].Next)];
        for (int k = 0; k < Targets; k++)
            image[CallTarget(k)] = [.. IncCounter(k), 0xc3];
        if (jmpTarget > TextBase + TextSize) throw new ArgumentException("too many jmp targets for the text region");

        var code = new byte[TextSize];
        var far = new byte[TextSize];
        Array.Fill(code, Forms.Int3);   // padding traps if ever executed
        Array.Fill(far, Forms.Int3);
        foreach (var (address, bytes) in image)
            if (address >= FarTextBase) bytes.CopyTo(far, (int)(address - FarTextBase));
            else bytes.CopyTo(code, (int)(address - TextBase));
        FarCode = far;
        return code;
    }

    /// <summary>Where the loop goes to visit site <paramref name="i"/>: its lock code, its IRQs-off or trampoline caller, or the site.</summary>
    private ulong VisitAddress(int i) =>
        Specs[i].Spinlock ? SpinlockEntry(i)
        : Sites[i].Kind == SiteKind.Trampoline || Specs[i].InterruptsOff ? CallerAddress(i)
        : Sites[i].Address;

    private static ulong SpinlockEntry(int i) => SpinlockArea + (ulong)i * SpinlockCodeSize;

    /// <summary>
    /// Site <paramref name="i"/>'s lock code (IRQs off, take the lock word, go to the site, or call
    /// it if it is a trampoline) and its unlock code (release, IRQs on, go to <paramref name="next"/>),
    /// assembled with Iced; returns the bytes and where the unlock code starts.
    /// </summary>
    private static (byte[] Code, ulong Unlock) SpinlockCode(int i, PatchSite site, ulong next)
    {
        ulong at = SpinlockEntry(i), ticket = LockWord(i), owner = LockWord(i) + 4;
        var a = new Assembler(64);
        Label spin = a.CreateLabel(), taken = a.CreateLabel(), unlock = a.CreateLabel();
        a.cli();
        a.mov(eax, 1);
        a.@lock.xadd(__dword_ptr[ticket], eax);   // eax: this CPU's ticket
        a.Label(ref spin);
        a.cmp(__dword_ptr[owner], eax);
        a.je(taken);
        a.pause();
        a.jmp(spin);
        a.Label(ref taken);
        if (site.Kind == SiteKind.Trampoline) a.call(site.Address);
        else a.jmp(site.Address);
        a.Label(ref unlock);
        a.inc(__dword_ptr[owner]);                 // only the holder writes the owner count
        a.sti();
        a.jmp(next);
        var writer = new ByteCodeWriter();
        var result = a.Assemble(writer, at, BlockEncoderOptions.ReturnNewInstructionOffsets);
        var code = writer.ToArray();
        if (code.Length > SpinlockCodeSize) throw new InvalidOperationException($"spinlock code for site {i} is {code.Length} bytes, more than {SpinlockCodeSize}");
        return (code, result.GetLabelRIP(unlock));
    }

    private static ulong CallerAddress(int i) => CallerArea + (ulong)i * 0x10;

    /// <summary><c>inc qword [counter k]</c> with a 32-bit absolute address: 8 bytes.</summary>
    private static byte[] IncCounter(int k)
    {
        uint address = (uint)Counter(k);
        return [0x48, 0xff, 0x04, 0x25, .. BitConverter.GetBytes(address)];
    }
}
