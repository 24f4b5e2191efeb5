using System.Text.RegularExpressions;
using Conformance.Emulation;
using Conformance.Machine;

namespace Conformance.Tests.Machine;

using Machine = Conformance.Machine.Machine;

/// <summary>
/// Fetch models (where fetch units begin and end) and the instruction fetcher that reads each unit
/// at a moment the fetch choices pick, between the CPU's last serializing event and now.
/// </summary>
public class FetchModelTests
{
    // The watched site: mov eax, imm32 (5 bytes), then jmp back to it.
    private const ulong Site = MachineLayout.Text + 0x20;
    private static readonly byte[] Old = [0xb8, 0x11, 0x22, 0x33, 0x44];   // mov eax, 0x44332211
    private static readonly byte[] New = [0xb8, 0x55, 0x66, 0x77, 0x88];   // mov eax, 0x88776655

    // ---- units ----------------------------------------------------------------------------------

    [Fact]
    public void Atomic_reads_the_15_bytes_from_rip_as_one_unit_whatever_the_address()
    {
        var m = new AtomicFetch();
        Assert.Equal((0x40_003eUL, 0x40_004dUL), m.UnitOf(0x40_003e, 0x40_003e));
        Assert.Equal((0x40_003eUL, 0x40_004dUL), m.UnitOf(0x40_0047, 0x40_003e));
    }

    [Theory]
    [InlineData("block64", 0x40_007fUL, 0x40_0040UL, 0x40_0080UL)]
    [InlineData("block64", 0x40_0080UL, 0x40_0080UL, 0x40_00c0UL)]
    [InlineData("block32", 0x40_003fUL, 0x40_0020UL, 0x40_0040UL)]
    [InlineData("block32", 0x40_0040UL, 0x40_0040UL, 0x40_0060UL)]
    [InlineData("block16", 0x40_003fUL, 0x40_0030UL, 0x40_0040UL)]
    [InlineData("block16", 0x40_0041UL, 0x40_0040UL, 0x40_0050UL)]
    public void Block_models_use_aligned_blocks_whatever_the_rip(string name, ulong address, ulong start, ulong end)
    {
        var model = FetchModelRegistry.Get(name);
        Assert.Equal((start, end), model.UnitOf(address, 0x40_003e));
        Assert.Equal((start, end), model.UnitOf(address, address));
    }

    [Fact]
    public void Block_sizes_are_their_names()
    {
        Assert.Equal(64, new Block64Fetch().BlockSize);
        Assert.Equal(32, new Block32Fetch().BlockSize);
        Assert.Equal(16, new Block16Fetch().BlockSize);
    }

    [Fact]
    public void Architectural_reads_each_byte_on_its_own()
    {
        var m = new ArchitecturalFetch();
        Assert.Equal((0x40_003fUL, 0x40_0040UL), m.UnitOf(0x40_003f, 0x40_003e));
        Assert.Equal((0x40_003eUL, 0x40_003fUL), m.UnitOf(0x40_003e, 0x40_003e));
    }

    // ---- registry -------------------------------------------------------------------------------

    [Fact]
    public void The_built_in_models_come_coarsest_first()
    {
        Assert.Equal(new[] { "atomic", "block64", "block32", "block16", "architectural" }, FetchModelRegistry.BuiltIn.Select(m => m.Name));
    }

    [Fact]
    public void Model_names_are_unique_kebab_case_and_every_model_describes_itself()
    {
        var names = FetchModelRegistry.BuiltIn.Select(m => m.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches(new Regex("^[a-z0-9]+(-[a-z0-9]+)*$"), n));
        Assert.All(FetchModelRegistry.BuiltIn, m => Assert.False(string.IsNullOrWhiteSpace(m.Description), m.Name));
    }

    [Fact]
    public void Get_finds_a_model_by_name()
    {
        Assert.IsType<Block32Fetch>(FetchModelRegistry.Get("block32"));
        Assert.IsType<ArchitecturalFetch>(FetchModelRegistry.Get("architectural"));
    }

    [Fact]
    public void Get_of_an_unknown_name_lists_the_known_models()
    {
        var e = Assert.Throws<ArgumentException>(() => FetchModelRegistry.Get("nope"));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("atomic, block64, block32, block16, architectural", e.Message);
    }

    // ---- the fetcher ----------------------------------------------------------------------------

    [Fact]
    public void Right_after_a_store_choice_0_reads_the_new_bytes()
    {
        var machine = SiteMachine();
        long store = StoreNew(machine);

        machine.Run(ReaderStep([0]));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(New, f.Bytes);
        Assert.Equal(store + 1, f.Time);
        Assert.Equal(new[] { new FetchUnit(Site, Site + 15, f.Time) }, f.Units);
        Assert.False(f.IsStale);
        Assert.Equal(0x8877_6655UL, machine.Cpus[0].State[Gpr.Rax]);
        Assert.Equal(new[] { 0 }, machine.FetchChoicesTaken);
        Assert.Equal(new[] { 2 }, machine.FetchChoiceOptions);   // the new bytes and the old ones
    }

    [Fact]
    public void Right_after_a_store_choice_1_reads_the_old_bytes()
    {
        var machine = SiteMachine();
        long store = StoreNew(machine);

        machine.Run(ReaderStep([1]));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(Old, f.Bytes);
        Assert.Equal(new[] { new FetchUnit(Site, Site + 15, store - 1) }, f.Units);   // the moment just before the store
        Assert.True(f.IsStale);
        Assert.Equal(0x4433_2211UL, machine.Cpus[0].State[Gpr.Rax]);
        Assert.Equal(new[] { 1 }, machine.FetchChoicesTaken);
        Assert.Equal(New, Bytes(machine, Site, 5));   // memory itself holds the new bytes
    }

    [Fact]
    public void A_choice_past_the_oldest_version_is_clamped_and_recorded_clamped()
    {
        var machine = SiteMachine();
        StoreNew(machine);
        machine.Run(ReaderStep([7]));
        Assert.Equal(Old, Assert.Single(machine.Fetches).Bytes);
        Assert.Equal(new[] { 1 }, machine.FetchChoicesTaken);
    }

    [Fact]
    public void Each_store_in_the_window_is_one_more_version()
    {
        var machine = SiteMachine();
        machine.SetWriter(1, [new WriterStep.Store(Site + 1, [0x01]), new WriterStep.Store(Site + 1, [0x02])]);
        machine.Run(new Schedule([new ScheduleRun(1, 2), new ScheduleRun(0, 1)], [], [1]));
        Assert.Equal(new byte[] { 0xb8, 0x01, 0x22, 0x33, 0x44 }, machine.Fetches[0].Bytes);   // one version back
        Assert.Equal(new[] { 3 }, machine.FetchChoiceOptions);
    }

    [Fact]
    public void After_the_reader_serializes_the_old_bytes_cannot_be_read()
    {
        var machine = SiteMachine();
        StoreNew(machine);
        machine.Cpus[0].Serialize();
        Assert.Equal(machine.Memory.Now, machine.Cpus[0].State.LastSerializingTime);

        machine.Run(ReaderStep([1]));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(New, f.Bytes);
        Assert.False(f.IsStale);
        Assert.Empty(machine.FetchChoicesTaken);   // nothing left to choose: the choice was not consumed
    }

    [Fact]
    public void Serializing_another_cpu_does_not_end_this_ones_staleness()
    {
        var machine = SiteMachine();
        StoreNew(machine);
        machine.Cpus[1].Serialize();
        machine.Run(ReaderStep([1]));
        Assert.Equal(Old, Assert.Single(machine.Fetches).Bytes);
    }

    [Theory]
    [InlineData(4, 2, true)]    // store at 2, fetch at 5: 5 - 4 = 1 < 2, the old bytes are in the window
    [InlineData(4, 3, false)]   // fetch at 6: 6 - 4 = 2, the store is as old as the window allows: always seen
    [InlineData(4, 20, false)]
    [InlineData(0, 0, false)]   // a window of 0: every fetch sees the current bytes
    public void The_staleness_window_bounds_how_far_back_a_fetch_reads(long window, int ticks, bool staleAllowed)
    {
        var machine = SiteMachine(window: window);
        long store = StoreNew(machine);
        Assert.Equal(2, store);
        for (int i = 0; i < ticks; i++) machine.Memory.Tick();

        machine.Run(ReaderStep([1]));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(store + ticks + 1, f.Time);
        Assert.Equal(staleAllowed ? Old : New, f.Bytes);
        Assert.Equal(staleAllowed, f.IsStale);
        Assert.Equal(staleAllowed ? new[] { 1 } : Array.Empty<int>(), machine.FetchChoicesTaken);
    }

    [Fact]
    public void A_fetch_of_unchanged_code_consumes_no_choice()
    {
        var machine = SiteMachine();
        machine.Run(new Schedule([new ScheduleRun(0, 4)], [], [1, 1, 1]));

        Assert.Empty(machine.FetchChoicesTaken);
        Assert.Equal(2, machine.Fetches.Count);   // the site twice; the jmp after it is not watched
        Assert.All(machine.Fetches, f =>
        {
            Assert.Equal(Old, f.Bytes);
            Assert.Equal(new[] { new FetchUnit(Site, Site + 5, f.Time) }, f.Units);
            Assert.False(f.IsStale);
        });
        Assert.Equal(new long[] { 1, 3 }, machine.Fetches.Select(f => f.Time));
    }

    [Fact]
    public void Steps_taken_without_a_schedule_go_through_the_model_and_are_recorded()
    {
        // Machine.Step and RunFair drive CPUs without Run: their fetches are watched all the same.
        var machine = SiteMachine(new Block16Fetch());
        Assert.IsType<InstructionFetcher>(machine.Cpus[0].Fetcher);
        Assert.IsType<Block16Fetch>(((InstructionFetcher)machine.Cpus[0].Fetcher!).Model);

        Assert.Equal(MachineStepKind.Instruction, machine.Step(0));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(Old, f.Bytes);
        Assert.Equal(0x4433_2211UL, machine.Cpus[0].State[Gpr.Rax]);
    }

    [Fact]
    public void A_store_elsewhere_in_the_region_offers_no_version_of_the_site()
    {
        var machine = SiteMachine();
        machine.SetWriter(1, [new WriterStep.Store(MachineLayout.Text + 0x200, [0x90])]);
        machine.Run(new Schedule([new ScheduleRun(1, 1), new ScheduleRun(0, 1)], [], [1]));
        Assert.Empty(machine.FetchChoicesTaken);
        Assert.Equal(Old, Assert.Single(machine.Fetches).Bytes);
    }

    [Fact]
    public void Under_block16_an_instruction_across_a_chunk_reads_each_chunk_at_its_own_moment()
    {
        // The site straddles 0x400010: two bytes in one 16-byte chunk, three in the next; the store
        // is one event (five bytes inside one 64-byte line).
        const ulong site = MachineLayout.Text + 0x0e;
        var machine = SiteMachine(FetchModelRegistry.Get("block16"), site);
        long store = StoreNew(machine, site);

        machine.Run(ReaderStep([0, 1]));

        var f = Assert.Single(machine.Fetches);
        Assert.Equal(new byte[] { 0xb8, 0x55, 0x22, 0x33, 0x44 }, f.Bytes);   // torn: new head, old tail
        Assert.Equal(new[] { new FetchUnit(0x40_0000, 0x40_0010, f.Time), new FetchUnit(0x40_0010, 0x40_0020, store - 1) }, f.Units);
        Assert.Equal(0x4433_2255UL, machine.Cpus[0].State[Gpr.Rax]);
        Assert.Equal(new[] { 0, 1 }, machine.FetchChoicesTaken);
    }

    [Fact]
    public void Under_atomic_the_same_straddling_instruction_is_never_torn()
    {
        const ulong site = MachineLayout.Text + 0x0e;
        var machine = SiteMachine(new AtomicFetch(), site);
        StoreNew(machine, site);
        machine.Run(ReaderStep([0, 1]));
        Assert.Equal(New, Assert.Single(machine.Fetches).Bytes);
        Assert.Equal(new[] { 0 }, machine.FetchChoicesTaken);   // one unit, one choice
    }

    [Fact]
    public void Under_architectural_each_changed_byte_is_its_own_choice()
    {
        var machine = SiteMachine(new ArchitecturalFetch());
        StoreNew(machine);
        // Every byte the store wrote has two versions, the opcode too (rewritten with the same value).
        machine.Run(ReaderStep([0, 0, 1, 0, 1]));
        var f = Assert.Single(machine.Fetches);
        Assert.Equal(new byte[] { 0xb8, 0x55, 0x22, 0x77, 0x44 }, f.Bytes);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (Site + (ulong)i, Site + (ulong)i + 1)), f.Units.Select(u => (u.Start, u.End)));
        Assert.Equal(new[] { 0, 0, 1, 0, 1 }, machine.FetchChoicesTaken);
        Assert.Equal(new[] { 2, 2, 2, 2, 2 }, machine.FetchChoiceOptions);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>cpu0 runs a task at the site (mov eax, imm32; jmp site), cpu1 is free for a writer; the site is watched.</summary>
    private static Machine SiteMachine(IFetchModel? model = null, ulong site = Site, long window = 256)
    {
        var machine = MachineLayout.Create(new MachineOptions
        {
            Cpus = 2, FetchModel = model ?? new AtomicFetch(), StalenessWindow = window, WatchedCode = [(site, site + 5)],
        });
        machine.Memory.Load(site, Old);
        MachineLayout.Assemble(machine.Memory, site + 5, a => a.jmp(site));
        machine.AddTask(0, "reader", site);
        return machine;
    }

    /// <summary>The writer on cpu1 stores the new bytes in one step; returns the store's time.</summary>
    private static long StoreNew(Machine machine, ulong site = Site)
    {
        machine.SetWriter(1, [new WriterStep.Store(site, New)]);
        machine.Run(new Schedule([new ScheduleRun(1, 1)], [], []));
        return machine.Memory.Now;   // the writer's step ticked once, then the store made one event
    }

    private static Schedule ReaderStep(int[] choices) => new([new ScheduleRun(0, 1)], [], choices);

    private static byte[] Bytes(Machine machine, ulong address, int count)
    {
        var b = new byte[count];
        machine.Memory.ReadCurrent(address, b);
        return b;
    }
}
