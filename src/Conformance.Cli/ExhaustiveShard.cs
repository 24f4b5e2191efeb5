namespace Conformance.Cli;

/// <summary>
/// The <c>shard</c> field of a <c>check --exhaustive --shard I/N --json</c> document: which shard of
/// how many, the whole run's units of work in order (<c>unitNames</c>: patcher rows, each with all its
/// cells), and how many cells each of this shard's units gave (<c>cellsPerUnit</c>), which is what
/// <see cref="ExhaustiveMerge"/> needs to interleave the shards' results back into the run's order.
/// </summary>
public sealed record ExhaustiveShard(int Index, int Count, int Units, IReadOnlyList<string> UnitNames, IReadOnlyList<int> CellsPerUnit);
