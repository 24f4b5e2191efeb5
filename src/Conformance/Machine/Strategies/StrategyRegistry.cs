
namespace Conformance.Machine;

/// <summary>Every schedule strategy in this assembly, by name.</summary>
public static class StrategyRegistry
{
    public static IReadOnlyList<IScheduleStrategy> BuiltIn { get; } = typeof(IScheduleStrategy).Assembly.GetTypes()
        .Where(t => t.IsPublic && !t.IsAbstract && typeof(IScheduleStrategy).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
        .Select(t => (IScheduleStrategy)Activator.CreateInstance(t)!)
        .OrderBy(s => s.Name, StringComparer.Ordinal)
        .ToArray();

    public static IScheduleStrategy Get(string name) =>
        BuiltIn.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown strategy '{name}'; known: {string.Join(", ", BuiltIn.Select(s => s.Name))}");
}
