using Conformance.Scanning;
using FsCheck;
using FsCheck.Fluent;

namespace Conformance.Generators;

/// <summary>
/// FsCheck generator and shrinker for <see cref="PatchCaseGenome"/> (design brief, section 6):
/// 1 to <c>maxCpus</c> CPUs, 1 or 2 sites at line offsets that straddle 16/32/64-byte boundaries
/// half the time, C or callee-saved callers, consecutive patches, concurrent patches, sites with
/// interrupts off or under a spinlock taken with IRQs off, the patching CPU running sites too, preemptible tasks, schedules, timer /
/// preempting timer / NMI interrupts, fetch choices. Given <see cref="SiteLayouts"/> (<c>check --layouts-from</c>), sites take
/// their kind and line offset from that measured distribution instead (<see cref="Placement"/>).
/// </summary>
public static class PatchCaseGen
{
    public static Arbitrary<PatchCaseGenome> Arbitrary(int maxCpus = 4, SiteLayouts? layouts = null) => Arb.From(Genome(maxCpus, layouts), Shrink);

    /// <summary>
    /// The scenarios of a campaign that searches schedules with <paramref name="search"/>. For an adaptive
    /// strategy each genome carries a seed (its other choices are those the default draws from the same
    /// seed), and the one shrink of an explored genome is <paramref name="record"/>: the run it made, as runs.
    /// From there it shrinks like any other.
    /// </summary>
    public static Arbitrary<PatchCaseGenome> Arbitrary(int maxCpus, ScheduleSearch search, Func<PatchCaseGenome, PatchCaseGenome> record, SiteLayouts? layouts = null) =>
        search.IsDefault
            ? Arbitrary(maxCpus, layouts)
            : Arb.From(Explored(maxCpus, search, layouts), g => g.Explore is null ? Shrink(g) : [record(g)]);

    /// <summary>Genomes whose schedule a strategy picks from a seed drawn after the rest.</summary>
    public static Gen<PatchCaseGenome> Explored(int maxCpus, ScheduleSearch search, SiteLayouts? layouts = null) =>
        from g in Genome(maxCpus, layouts)
        from high in Gen.Choose(0, int.MaxValue)
        from low in Gen.Choose(0, int.MaxValue)
        select g with { Explore = new ExploreGenome(search.Name, ((ulong)high << 32) | (uint)low) };

    public static Gen<PatchCaseGenome> Genome(int maxCpus, SiteLayouts? layouts = null) =>
        from cpus in maxCpus <= 1 ? Gen.Constant(1) : Gen.Frequency((1, Gen.Constant(1)), (7, Gen.Choose(2, maxCpus)))
        from siteCount in Gen.Frequency((3, Gen.Constant(1)), (1, Gen.Constant(2)))
        from sites in Site(layouts).ArrayOf(siteCount)
        from tasks in Gen.Frequency((1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from runCount in Gen.Choose(1, 40)
        from runs in Run.ArrayOf(runCount)
        from irqCount in Gen.Frequency((2, Gen.Constant(0)), (2, Gen.Choose(1, 4)), (1, Gen.Choose(8, 32)))
        from irqs in Interrupt.ArrayOf(irqCount)
        from choiceCount in Gen.Choose(0, 24)
        from choices in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Choose(1, 3))).ArrayOf(choiceCount)
        from patcherRunsSites in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new PatchCaseGenome(cpus, sites, tasks, runs, irqs, choices, patcherRunsSites);

    /// <summary>Line offsets: half anywhere, half just before a 16-byte chunk end (so a 5-byte site straddles).</summary>
    private static Gen<int> Offset =>
        Gen.Frequency((1, Gen.Choose(0, 63)), (1, from chunk in Gen.Choose(0, 3) from back in Gen.Choose(1, 4) select chunk * 16 + 16 - back));

    /// <summary>Kind (the genome's number for it) and line offset: mostly calls, offsets as <see cref="Offset"/>.</summary>
    private static Gen<(int Kind, int Offset)> Invented =>
        from kind in Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Choose(1, 5)))
        from offset in Offset
        select (kind, offset);

    /// <summary>
    /// Kind and line offset drawn from a measured distribution, each (kind, offset) bin as often as
    /// the scanned binaries have it. A patcher that declines the drawn place gets the realizer's
    /// next one (as for invented places), which is what it would do on the real site: fall back.
    /// </summary>
    public static Gen<(int Kind, int Offset)> Placement(SiteLayouts layouts) =>
        from r in Gen.Choose(0, checked((int)layouts.Total) - 1)
        let bin = layouts.At(r)
        select (PatchCaseRealizer.KindIndex(bin.Kind), bin.LineOffset);

    private static Gen<SiteGenome> Site(SiteLayouts? layouts) =>
        from place in layouts is null ? Invented : Placement(layouts)
        let kind = place.Kind
        let offset = place.Offset
        from calleeSaved in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from from_ in Gen.Choose(0, 4)
        from to in Gen.Choose(0, 4)
        from again in Gen.Frequency((1, Gen.Constant(-2)), (1, Gen.Choose(0, 4)))
        from irqOff in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from rival in Gen.Frequency((3, Gen.Constant(-2)), (1, Gen.Choose(0, 4)))
        from spinlock in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new SiteGenome(kind, offset, calleeSaved, from_, to, again, irqOff, rival, spinlock);

    private static Gen<RunGenome> Run =>
        from cpu in Gen.Choose(0, 7)
        from steps in Gen.Frequency((3, Gen.Choose(1, 4)), (2, Gen.Choose(5, 16)))
        select new RunGenome(cpu, steps);

    private static Gen<InterruptGenome> Interrupt =>
        from at in Gen.Choose(0, 400)
        from cpu in Gen.Choose(0, 6)
        from kind in Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)))
        from inShadow in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new InterruptGenome(at, cpu, kind, inShadow);

    /// <summary>Most aggressive first; never the input itself.</summary>
    public static IEnumerable<PatchCaseGenome> Shrink(PatchCaseGenome g)
    {
        if (g.Cpus > 1) yield return g with { Cpus = g.Cpus - 1 };
        if (g.Sites.Length > 1)
            for (int i = 0; i < g.Sites.Length; i++) yield return g with { Sites = Without(g.Sites, i) };
        if (g.Interrupts.Length > 0) yield return g with { Interrupts = [] };
        if (g.FetchChoices.Length > 0) yield return g with { FetchChoices = [] };
        if (g.TasksPerCpu > 1) yield return g with { TasksPerCpu = 1 };
        if (g.PatcherRunsSites) yield return g with { PatcherRunsSites = false };
        for (int i = 0; i < g.Sites.Length; i++)
            if (g.Sites[i].Rival >= -1) yield return g with { Sites = Replace(g.Sites, i, g.Sites[i] with { Rival = -2 }) };
        for (int i = 0; i < g.Sites.Length; i++)
            if (g.Sites[i].Spinlock) yield return g with { Sites = Replace(g.Sites, i, g.Sites[i] with { Spinlock = false }) };
        for (int i = 0; i < g.Sites.Length; i++)
            if (g.Sites[i].InterruptsOff) yield return g with { Sites = Replace(g.Sites, i, g.Sites[i] with { InterruptsOff = false }) };
        for (int i = 0; i < g.Sites.Length; i++)
            if (g.Sites[i].Again >= -1) yield return g with { Sites = Replace(g.Sites, i, g.Sites[i] with { Again = -2 }) };
        // The schedule: drop halves, then single runs, then shorten runs.
        if (g.Runs.Length > 1)
        {
            yield return g with { Runs = g.Runs[..(g.Runs.Length / 2)] };
            yield return g with { Runs = g.Runs[(g.Runs.Length / 2)..] };
            for (int i = 0; i < g.Runs.Length; i++) yield return g with { Runs = Without(g.Runs, i) };
        }
        for (int i = 0; i < g.Runs.Length; i++)
            if (g.Runs[i].Steps > 1) yield return g with { Runs = Replace(g.Runs, i, g.Runs[i] with { Steps = g.Runs[i].Steps / 2 }) };
        for (int i = 0; i < g.Interrupts.Length; i++) yield return g with { Interrupts = Without(g.Interrupts, i) };
        for (int i = 0; i < g.Interrupts.Length; i++)
            if (g.Interrupts[i].InShadow) yield return g with { Interrupts = Replace(g.Interrupts, i, g.Interrupts[i] with { InShadow = false }) };
        if (g.FetchChoices.Length > 1) yield return g with { FetchChoices = g.FetchChoices[..(g.FetchChoices.Length / 2)] };
        for (int i = 0; i < g.FetchChoices.Length; i++)
            if (g.FetchChoices[i] > 0) yield return g with { FetchChoices = Replace(g.FetchChoices, i, 0) };
        for (int i = 0; i < g.Sites.Length; i++)
            if (g.Sites[i].CalleeSaved) yield return g with { Sites = Replace(g.Sites, i, g.Sites[i] with { CalleeSaved = false }) };
    }

    private static T[] Without<T>(T[] a, int i) => [.. a[..i], .. a[(i + 1)..]];

    private static T[] Replace<T>(T[] a, int i, T value)
    {
        var copy = (T[])a.Clone();
        copy[i] = value;
        return copy;
    }
}
