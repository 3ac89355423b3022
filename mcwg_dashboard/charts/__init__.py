"""Plotly figure builders: DataFrames in, figures out. No streamlit here."""
