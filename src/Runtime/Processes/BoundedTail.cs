namespace SidecarKit.Processes;

/// <summary>The last lines of some output, at most a given number, safe to add to from a pump while errors read it.</summary>
internal sealed class BoundedTail(int capacity)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    /// <summary>The lines kept, oldest first.</summary>
    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines) return [.. _lines];
    }
}
