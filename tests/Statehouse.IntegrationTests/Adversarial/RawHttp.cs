using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>HTTP/1.1 on a bare socket: for what HttpClient will not send (smuggling, slow headers, huge bodies).</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> as is and reads what comes back until the server closes or goes quiet.</summary>
    public static async Task<string> ExchangeAsync(IPEndPoint endPoint, byte[] request, TimeSpan? quiet = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await socket.SendAsync(request, SocketFlags.None);
        return await ReadAllAsync(socket, quiet ?? TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
    }

    /// <summary>Reads until the peer closes, nothing arrives for <paramref name="quiet"/>, or <paramref name="total"/> passed.</summary>
    public static async Task<string> ReadAllAsync(Socket socket, TimeSpan quiet, TimeSpan total)
    {
        var text = new StringBuilder();
        var buffer = new byte[64 * 1024];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < total)
        {
            using var cts = new CancellationTokenSource(quiet);
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    /// <summary>The status codes of every response in <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<int> Statuses(string text)
    {
        var statuses = new List<int>();
        var at = 0;
        while ((at = text.IndexOf("HTTP/1.1 ", at, StringComparison.Ordinal)) >= 0)
        {
            statuses.Add(int.Parse(text.AsSpan(at + 9, 3), System.Globalization.CultureInfo.InvariantCulture));
            at += 12;
        }

        return statuses;
    }
}
