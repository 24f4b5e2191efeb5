using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Conformance.Tests.Support;

/// <summary>
/// Debian's <c>chromium</c>, headless, driven over the DevTools protocol (a WebSocket on a port the
/// browser picks and prints): open a page at a fixed viewport, evaluate script in it, click at a
/// point as a mouse does, and collect what the console would show (errors, uncaught exceptions,
/// failed loads). One browser per instance; <see cref="DisposeAsync"/> closes it and removes its profile.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly DirectoryInfo profile;
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly List<(string Method, JsonElement Params)> events = [];
    private readonly CancellationTokenSource stop = new();
    private Task? receiving;
    private int nextId;
    private string? session;

    private HeadlessChromium(Process process, DirectoryInfo profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>The browser on PATH (<c>chromium</c>, as Debian names it), or null.</summary>
    public static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>The browser's product and version, as it reports them (<c>Chrome/...</c>; Debian's chromium says Chrome too).</summary>
    public async Task<string> Product() => (await Send("Browser.getVersion", browserLevel: true)).GetProperty("product").GetString() ?? "";

    /// <summary>Starts the browser and opens one blank page of <paramref name="width"/> by <paramref name="height"/> CSS pixels.</summary>
    public static async Task<HeadlessChromium> Start(string path, int width, int height)
    {
        var profile = Directory.CreateTempSubdirectory("conformance-chromium-");
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
                     "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}", $"--window-size={width},{height}", "about:blank",
                 })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.Connect(await DevToolsUrl(process));
            await browser.OpenPage(width, height);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex Listening();

    /// <summary>The browser's WebSocket address, from the line it prints on stderr.</summary>
    private static async Task<Uri> DevToolsUrl(Process process)
    {
        var seen = new StringBuilder();
        using var cts = new CancellationTokenSource(Timeout);
        while (await process.StandardError.ReadLineAsync(cts.Token) is { } line)
        {
            seen.AppendLine(line);
            if (Listening().Match(line) is { Success: true } m)
            {
                _ = process.StandardError.ReadToEndAsync();   // keep draining: a full pipe would stall the browser
                _ = process.StandardOutput.ReadToEndAsync();
                return new Uri(m.Groups[1].Value);
            }
        }
        throw new InvalidOperationException($"chromium exited before it listened for DevTools; it said:\n{seen}");
    }

    private async Task Connect(Uri url)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(url, cts.Token);
        receiving = Task.Run(Receive);
    }

    private async Task OpenPage(int width, int height)
    {
        var target = await Send("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, browserLevel: true);
        var attached = await Send("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }, browserLevel: true);
        session = attached.GetProperty("sessionId").GetString();
        await Send("Page.enable");
        await Send("Runtime.enable");
        await Send("Log.enable");
        await Send("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
    }

    /// <summary>Opens <paramref name="url"/> in the page and waits for its load event.</summary>
    public async Task Navigate(string url)
    {
        int seen = EventCount;
        var result = await Send("Page.navigate", new JsonObject { ["url"] = url });
        if (result.TryGetProperty("errorText", out var error)) throw new InvalidOperationException($"navigating to {url}: {error.GetString()}");
        await WaitFor("Page.loadEventFired", seen);
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value (as JSON); an exception in it fails.</summary>
    public async Task<JsonElement> Evaluate(string expression)
    {
        var result = await Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result.TryGetProperty("exceptionDetails", out var ex)) throw new InvalidOperationException($"script failed: {ex}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v.Clone() : default;
    }

    /// <summary>A left click at a point of the viewport (CSS pixels), as a mouse gives it: press, release.</summary>
    public async Task Click(double x, double y)
    {
        foreach (var type in new[] { "mouseMoved", "mousePressed", "mouseReleased" })
            await Send("Input.dispatchMouseEvent", new JsonObject
            {
                ["type"] = type, ["x"] = x, ["y"] = y, ["button"] = type == "mouseMoved" ? "none" : "left", ["clickCount"] = type == "mouseMoved" ? 0 : 1,
            });
    }

    /// <summary>What a console would show as an error so far: console.error calls, uncaught exceptions, failed loads and other error entries.</summary>
    public IReadOnlyList<string> ConsoleErrors()
    {
        lock (events)
            return events.Select(e => e.Method switch
            {
                "Runtime.exceptionThrown" => "exception: " + e.Params.GetProperty("exceptionDetails"),
                "Runtime.consoleAPICalled" when e.Params.GetProperty("type").GetString() is "error" or "assert" => "console." + e.Params.GetProperty("type").GetString() + ": " + e.Params.GetProperty("args"),
                "Log.entryAdded" when e.Params.GetProperty("entry").GetProperty("level").GetString() == "error" => "log: " + e.Params.GetProperty("entry"),
                _ => null,
            }).OfType<string>().ToList();
    }

    private int EventCount { get { lock (events) return events.Count; } }

    private async Task WaitFor(string method, int after)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            lock (events)
                if (events.Skip(after).Any(e => e.Method == method)) return;
            await Task.Delay(10);
        }
        throw new TimeoutException($"chromium sent no {method} within {Timeout.TotalSeconds} s");
    }

    private async Task<JsonElement> Send(string method, JsonObject? parameters = null, bool browserLevel = false)
    {
        int id = Interlocked.Increment(ref nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (!browserLevel && session is not null) message["sessionId"] = session;
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, stop.Token);
        var done = await Task.WhenAny(reply.Task, Task.Delay(Timeout));
        if (done != reply.Task) throw new TimeoutException($"chromium did not answer {method} within {Timeout.TotalSeconds} s");
        return await reply.Task;
    }

    private async Task Receive()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open && !stop.IsCancellationRequested)
            {
                var part = await socket.ReceiveAsync(buffer, stop.Token);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                using (var doc = JsonDocument.Parse(message.ToArray()))
                {
                    var root = doc.RootElement;
                    if (root.TryGetProperty("id", out var id) && pending.TryRemove(id.GetInt32(), out var reply))
                    {
                        if (root.TryGetProperty("error", out var error)) reply.SetException(new InvalidOperationException($"DevTools error: {error}"));
                        else reply.SetResult(root.GetProperty("result").Clone());
                    }
                    else if (root.TryGetProperty("method", out var method))
                        lock (events) events.Add((method.GetString()!, root.TryGetProperty("params", out var p) ? p.Clone() : default));
                }
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        foreach (var reply in pending.Values) reply.TrySetException(new InvalidOperationException("chromium closed the DevTools connection"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                try { await Send("Browser.close", browserLevel: true); } catch (Exception e) when (e is InvalidOperationException or TimeoutException or WebSocketException) { }
            }
            if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
        }
        finally
        {
            stop.Cancel();
            if (receiving is not null) await Task.WhenAny(receiving, Task.Delay(2000));
            socket.Dispose();
            process.Dispose();
            try { profile.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
