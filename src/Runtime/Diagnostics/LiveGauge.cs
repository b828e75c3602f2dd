using System.Diagnostics.Metrics;

namespace SidecarKit.Diagnostics;

/// <summary>
/// A gauge read from every live object of a kind (supervisors, connections): objects are tracked weakly, so
/// reporting never keeps one alive, and those collected drop out at the next reading. Objects with the same tag are
/// summed into one measurement (a gauge keeps one value per tag set: two connections of one system would overwrite
/// each other).
/// </summary>
internal sealed class LiveGauge<T> where T : class
{
    private readonly List<WeakReference<T>> _items = [];
    private readonly string _tag;
    private readonly Func<T, (int Value, object? Tag)> _measure;

    public LiveGauge(string name, string unit, string description, string tag, Func<T, (int Value, object? Tag)> measure)
    {
        _tag = tag;
        _measure = measure;
        SidecarTelemetry.Meter.CreateObservableGauge(name, Observe, unit, description);
    }

    public void Track(T item)
    {
        lock (_items)
        {
            // Pruned here too, now and then, so a process nobody reads the gauge of does not pile up dead references.
            if (_items.Count >= 64 && (_items.Count & (_items.Count - 1)) == 0) _items.RemoveAll(w => !w.TryGetTarget(out _));
            _items.Add(new WeakReference<T>(item));
        }
    }

    private List<Measurement<int>> Observe()
    {
        var sums = new Dictionary<object, int>();
        lock (_items)
        {
            _items.RemoveAll(w => !w.TryGetTarget(out _));
            foreach (WeakReference<T> weak in _items)
            {
                if (!weak.TryGetTarget(out T? item)) continue;
                (int value, object? tag) = _measure(item);
                sums[tag ?? ""] = sums.GetValueOrDefault(tag ?? "") + value;
            }
        }
        return [.. sums.Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>(_tag, s.Key)))];
    }
}
