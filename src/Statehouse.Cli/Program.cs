using System.CommandLine;
using Statehouse.Cli;

var root = new RootCommand("Statehouse: a durable, consistent state store for stateless .NET services.");
ServeCommand.Add(root);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
